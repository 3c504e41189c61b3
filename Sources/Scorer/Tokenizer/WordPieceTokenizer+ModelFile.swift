import Tensor

extension WordPieceTokenizer {
    /// The tokenizer a model file describes (`tokenizer.*` metadata, docs/model-file.md).
    public init(file: GGUFFile) throws {
        let special = try [file.string("tokenizer.unk_token"), file.string("tokenizer.cls_token"),
                           file.string("tokenizer.sep_token"), file.string("tokenizer.pad_token")]
        let added = (try? file.strings("tokenizer.added_tokens")) ?? ["[MASK]"]
        do {
            try self.init(
                vocab: file.strings("tokenizer.vocab"), unkToken: special[0], clsToken: special[1], sepToken: special[2],
                padToken: special[3], additionalSpecialTokens: added.filter { !special.contains($0) },
                continuingSubwordPrefix: file.string("tokenizer.continuing_subword_prefix"),
                maxInputCharsPerWord: file.int("tokenizer.max_input_chars_per_word"),
                lowercase: file.bool("tokenizer.lowercase"), stripAccents: file.bool("tokenizer.strip_accents"),
                handleChineseChars: file.bool("tokenizer.handle_chinese_chars"), cleanText: file.bool("tokenizer.clean_text"))
        } catch let error as TokenizerError {
            throw ModelFileError(path: file.path, offset: nil, reason: "tokenizer: \(error)")
        }
    }
}
