import Foundation
import Scorer
import Tensor

/// A language-model file opened for a command: the decoder, its tokenizer and chat template, with one-line
/// errors for a missing, corrupt or non-Qwen2 file.
struct LanguageModelFile {
    let model: Qwen2
    let tokenizer: BPETokenizer
    let chat: ChatTemplate
    /// eos ids of the file (`tokenizer.ggml.eos_token_id`) plus ChatML's end of turn.
    let stopTokens: Set<Int32>

    init(path: String, fp32: Bool) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        do throws(ModelFileError) {
            let file = try GGUFFile(path: path)
            model = try Qwen2(file: file, fp32: fp32)
            tokenizer = try BPETokenizer(file: file)
            chat = ChatTemplate(file: file)
        } catch {
            throw CLIError(error.description)
        }
        stopTokens = Set([tokenizer.eosTokenID, tokenizer.id(of: "<|im_end|>")].compactMap { $0 })
    }

    /// Fails in one line when `tokens` prompt tokens plus `extra` generated ones exceed the context.
    func checkContext(_ tokens: Int, extra: Int = 0) throws {
        guard tokens + extra <= model.config.contextLength else {
            throw CLIError("prompt of \(tokens) tokens (+\(extra) to generate) exceeds the model's context of \(model.config.contextLength)")
        }
    }
}
