/// BERT WordPiece tokenisation, id-for-id identical to Hugging Face `tokenizers` with a BertNormalizer,
/// BertPreTokenizer, WordPiece model and `[CLS] $A [SEP]` template (all-MiniLM-L6-v2's tokenizer.json).
/// Immutable after init, so one instance can serve every thread.
public struct WordPieceTokenizer: Sendable {
    private let vocabulary: WordPieceVocabulary
    private let normalizer: BertNormalizer
    private let specialTokens: SpecialTokenSplitter
    private let unkID: Int32
    private let clsID: Int32
    private let sepID: Int32
    private let maxInputCharsPerWord: Int

    /// `vocab[i]` is the token with id `i`. `additionalSpecialTokens` joins the unk/cls/sep/pad tokens in
    /// being matched verbatim in the raw text (HF's added tokens); its default is BERT's `[MASK]`.
    public init(
        vocab: [String],
        unkToken: String = "[UNK]",
        clsToken: String = "[CLS]",
        sepToken: String = "[SEP]",
        padToken: String = "[PAD]",
        additionalSpecialTokens: [String] = ["[MASK]"],
        continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100,
        lowercase: Bool = true,
        stripAccents: Bool = true,
        handleChineseChars: Bool = true,
        cleanText: Bool = true
    ) throws {
        var ids: [String: Int32] = [:]
        ids.reserveCapacity(vocab.count)
        for (id, token) in vocab.enumerated() {
            guard ids.updateValue(Int32(id), forKey: token) == nil else { throw TokenizerError.duplicateToken(token) }
        }
        func id(of token: String) throws -> Int32 {
            guard let id = ids[token] else { throw TokenizerError.missingToken(token) }
            return id
        }
        guard maxInputCharsPerWord > 0 else {
            throw TokenizerError.invalidConfiguration("maxInputCharsPerWord must be positive")
        }
        unkID = try id(of: unkToken)
        clsID = try id(of: clsToken)
        sepID = try id(of: sepToken)
        let special = [unkToken, clsToken, sepToken, padToken] + additionalSpecialTokens
        specialTokens = SpecialTokenSplitter(tokens: try special.map { ($0, try id(of: $0)) })
        vocabulary = WordPieceVocabulary(tokens: vocab, continuingSubwordPrefix: continuingSubwordPrefix)
        normalizer = BertNormalizer(
            cleanText: cleanText, handleChineseChars: handleChineseChars,
            stripAccents: stripAccents, lowercase: lowercase)
        self.maxInputCharsPerWord = maxInputCharsPerWord
    }

    /// `[CLS] tokens [SEP]`, with the tokens cut so the whole is at most `maxTokens` (at least 2) long.
    public func encode(_ text: String, maxTokens: Int) -> [Int32] {
        precondition(maxTokens >= 2, "maxTokens must leave room for [CLS] and [SEP]")
        let limit = maxTokens - 1
        var ids: [Int32] = [clsID]
        var scalars: [Unicode.Scalar] = []
        var scratch: [Unicode.Scalar] = []
        var word: [UInt8] = []
        specialTokens.forEachSegment(of: text) { segment in
            switch segment {
            case .special(let id):
                ids.append(id)
            case .text(let segmentText):
                normalizer.normalize(segmentText, into: &scalars, scratch: &scratch)
                BertPreTokenizer.forEachWord(in: scalars, buffer: &word) { utf8, scalarCount in
                    if scalarCount > maxInputCharsPerWord || !vocabulary.appendPieces(of: utf8, to: &ids) {
                        ids.append(unkID)
                    }
                    return ids.count < limit
                }
            }
            return ids.count < limit
        }
        if ids.count > limit { ids.removeSubrange(limit...) }
        ids.append(sepID)
        return ids
    }
}
