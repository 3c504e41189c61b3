import Tensor

extension BPETokenizer {
    /// The pre-tokenizer names (`tokenizer.ggml.pre`) llama.cpp gives vocabularies that split as Qwen2's does.
    static let qwen2PreTokenizerNames: Set<String> = ["qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez"]

    /// The tokenizer a llama.cpp-style GGUF describes (`tokenizer.ggml.*`, LM-FORMAT.md), built as transformers'
    /// GGUF loader builds it: control tokens (type 3) spelled in the byte alphabet are special added tokens,
    /// user-defined ones (type 4) plain added tokens; NFC only when `mmssr.tokenizer.normalizer` is "nfc".
    public init(file: GGUFFile) throws(ModelFileError) {
        func fail(_ reason: String) -> ModelFileError { ModelFileError(path: file.path, offset: nil, reason: reason) }
        let model = try file.string("tokenizer.ggml.model")
        guard model == "gpt2" else { throw fail("tokenizer.ggml.model is \(model.debugDescription), not the byte-level BPE \"gpt2\"") }
        let pre = try file.string("tokenizer.ggml.pre")
        guard Self.qwen2PreTokenizerNames.contains(pre) else {
            throw fail("tokenizer.ggml.pre \(pre.debugDescription) is not a Qwen2-style pre-tokenizer")
        }
        let tokens = try file.strings("tokenizer.ggml.tokens")
        let mergeLines = try file.strings("tokenizer.ggml.merges")
        guard case .array(_, let typeValues)? = file.value("tokenizer.ggml.token_type"), typeValues.count == tokens.count else {
            throw fail("metadata tokenizer.ggml.token_type is missing or not one integer per token")
        }
        var added: [AddedToken] = []
        for (id, (token, typeValue)) in zip(tokens, typeValues).enumerated() {
            switch typeValue.intValue {
            case 3 where ByteLevelAlphabet.bytes(of: token) != nil:
                added.append(AddedToken(content: token, id: Int32(id), special: true))
            case 4:
                added.append(AddedToken(content: token, id: Int32(id), special: false))
            default:
                continue
            }
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeLines.count)
        for (index, line) in mergeLines.enumerated() {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else { throw fail("tokenizer.ggml.merges[\(index)] \(line.debugDescription) is not two tokens") }
            merges.append((String(parts[0]), String(parts[1])))
        }
        func tokenID(_ key: String) throws(ModelFileError) -> Int32? {
            guard let value = file.value(key) else { return nil }
            guard let id = value.intValue, let id32 = Int32(exactly: id) else { throw fail("metadata \(key) is not a token id") }
            return id32
        }
        let eos = try tokenID("tokenizer.ggml.eos_token_id")
        let pad = try tokenID("tokenizer.ggml.padding_token_id")
        let bos = try tokenID("tokenizer.ggml.bos_token_id")
        do throws(TokenizerError) {
            try self.init(
                vocabulary: tokens, merges: merges, addedTokens: added,
                normalizesNFC: (try? file.string("mmssr.tokenizer.normalizer")) == "nfc",
                eosTokenID: eos, padTokenID: pad, bosTokenID: bos)
        } catch {
            throw fail("tokenizer: \(error)")
        }
    }
}
