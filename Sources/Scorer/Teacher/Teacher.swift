import Tensor
import Vision

/// An official mmSSR teacher (the scorer or the styler): LLaVA-OneVision's language model with its tokenizer
/// and the procedure's settings, plus the vision tower and projector when the file has them. A plain Qwen2
/// chat model is a text-only teacher.
public struct Teacher: Sendable {
    public let path: String
    public let configuration: TeacherConfiguration
    public let language: Qwen2
    /// nil: a text-only teacher (no image is shown; `<image>` is removed from the prompts).
    public let vision: LLaVAVision?
    public let tokenizer: BPETokenizer
    public let prompts: OfficialPromptTokenizer
    /// The tokens "0" ... "5": the scorer's answer is read from their probabilities.
    public let digitTokens: [Int32]
    /// `int8` or `f32`.
    public var precision: String { language.precision }

    public init(path: String, fp32: Bool = false) throws(TeacherError) {
        let file: GGUFFile
        do throws(ModelFileError) {
            file = try GGUFFile(path: path)
            self.path = path
            tokenizer = try BPETokenizer(file: file)
            language = try Qwen2(file: file, fp32: fp32)
            vision = try LLaVAVision(file: file, languageWidth: language.config.hidden, fp32: fp32)
        } catch {
            throw .modelFile(error)
        }
        let stops = Set(["<|im_end|>", "<|endoftext|>"].compactMap(tokenizer.id(of:)) + [tokenizer.eosTokenID].compactMap { $0 })
        configuration = try TeacherConfiguration(file: file, defaultStops: stops)
        prompts = try OfficialPromptTokenizer(tokenizer: tokenizer, systemMessage: configuration.systemMessage)
        var digits = [Int32]()
        for d in 0...5 {
            let ids = tokenizer.encode(String(d))
            guard ids.count == 1 else { throw .invalidModel("\(path): the digit \(d) is not one token of the tokenizer") }
            digits += ids
        }
        digitTokens = digits
    }

    /// How the official code decodes: greedy up to `maxNewTokens`, the checkpoint's repetition penalty and eos
    /// ids, over the tokenizer's rows.
    public func greedyOptions(maxNewTokens: Int) -> Qwen2.GreedyOptions {
        .init(maxNewTokens: maxNewTokens, stopTokens: configuration.stopTokens,
              repetitionPenalty: configuration.repetitionPenalty, vocabularyLimit: configuration.vocabularyLimit)
    }

    /// `pred_response` as the official code writes it: `batch_decode(skip_special_tokens=True)`, stripped, a
    /// trailing `<|im_end|>` removed, stripped again.
    public func officialResponse(_ tokens: [Int32]) -> String {
        var text = PythonText.strip(tokenizer.decode(tokens, skipSpecial: true))
        if text.hasSuffix("<|im_end|>") { text.removeLast("<|im_end|>".count) }
        return PythonText.strip(text)
    }

    public var showsImages: Bool { vision != nil }

    /// The tokens that stand for each `<image>`: the spliced embedding rows, nil without a vision tower.
    public var imageTokens: [Int32]? { vision.map { LMSequence.embeddingTokens(rows: $0.rows) } }
}
