import Foundation

extension WordPieceTokenizer {
    /// Builds the tokenizer a Hugging Face `tokenizer.json` describes, refusing any pipeline this type does
    /// not reproduce exactly. For tests and development; the engine reads the same settings from the model file.
    public static func loadingHuggingFaceJSON(path: String) throws -> WordPieceTokenizer {
        let root = try TokenizerJSONFile.root(path: path)
        func object(_ value: Any?, _ name: String) throws -> [String: Any] {
            guard let object = value as? [String: Any] else { throw TokenizerError.invalidConfiguration("\(name) missing") }
            return object
        }
        func require(_ object: [String: Any], type: String, _ name: String) throws {
            guard object["type"] as? String == type else {
                throw TokenizerError.invalidConfiguration("\(name).type must be \(type)")
            }
        }
        let model = try object(root["model"], "model")
        let normalizer = try object(root["normalizer"], "normalizer")
        let preTokenizer = try object(root["pre_tokenizer"], "pre_tokenizer")
        let postProcessor = try object(root["post_processor"], "post_processor")
        try require(model, type: "WordPiece", "model")
        try require(normalizer, type: "BertNormalizer", "normalizer")
        try require(preTokenizer, type: "BertPreTokenizer", "pre_tokenizer")
        try require(postProcessor, type: "TemplateProcessing", "post_processor")

        guard let vocabMap = model["vocab"] as? [String: Int] else {
            throw TokenizerError.invalidConfiguration("model.vocab missing")
        }
        var vocab = [String?](repeating: nil, count: vocabMap.count)
        for (token, id) in vocabMap {
            guard vocab.indices.contains(id), vocab[id] == nil else {
                throw TokenizerError.invalidConfiguration("model.vocab ids are not 0..<\(vocabMap.count)")
            }
            vocab[id] = token
        }

        let single = postProcessor["single"] as? [[String: Any]] ?? []
        let template = single.map { piece -> String? in
            (piece["SpecialToken"] as? [String: Any])?["id"] as? String
        }
        guard template.count == 3, let cls = template[0], template[1] == nil, let sep = template[2] else {
            throw TokenizerError.invalidConfiguration("post_processor.single must be [CLS-like] $A [SEP-like]")
        }
        let unk = model["unk_token"] as? String ?? "[UNK]"
        let pad = (root["padding"] as? [String: Any])?["pad_token"] as? String ?? "[PAD]"

        var additional: [String] = []
        for case let added as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            guard let content = added["content"] as? String else { continue }
            guard added["normalized"] as? Bool == false, added["single_word"] as? Bool != true,
                added["lstrip"] as? Bool != true, added["rstrip"] as? Bool != true
            else { throw TokenizerError.invalidConfiguration("added token \(content) needs matching rules not implemented") }
            if ![unk, cls, sep, pad].contains(content) { additional.append(content) }
        }

        let lowercase = normalizer["lowercase"] as? Bool ?? true
        return try WordPieceTokenizer(
            vocab: vocab.map { $0! },
            unkToken: unk,
            clsToken: cls,
            sepToken: sep,
            padToken: pad,
            additionalSpecialTokens: additional,
            continuingSubwordPrefix: model["continuing_subword_prefix"] as? String ?? "##",
            maxInputCharsPerWord: model["max_input_chars_per_word"] as? Int ?? 100,
            lowercase: lowercase,
            // HF: a null strip_accents follows lowercase.
            stripAccents: normalizer["strip_accents"] as? Bool ?? lowercase,
            handleChineseChars: normalizer["handle_chinese_chars"] as? Bool ?? true,
            cleanText: normalizer["clean_text"] as? Bool ?? true)
    }
}
