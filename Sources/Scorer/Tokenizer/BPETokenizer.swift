import Foundation

/// Byte-level BPE as Qwen2 uses it, id-for-id identical to Hugging Face `tokenizers`: added tokens cut out of
/// the raw text first, optional NFC on the rest, Qwen2's regex split, GPT-2's byte alphabet, merges by rank.
/// Immutable after init, so one instance can serve every thread; for many texts on one thread, an `Encoder`
/// keeps its scratch and word cache between them.
public struct BPETokenizer: Sendable {
    /// A token matched whole in the raw text before BPE. `special` ones are what `allowSpecial: false` and
    /// `skipSpecial: true` leave out (HF's `special` flag: the control tokens, not e.g. `<tool_call>`).
    public struct AddedToken: Sendable, Equatable {
        public let content: String
        public let id: Int32
        public let special: Bool

        public init(content: String, id: Int32, special: Bool) {
            self.content = content
            self.id = id
            self.special = special
        }
    }

    /// One more than the largest id the tokenizer can produce or decode.
    public let vocabularySize: Int
    public let addedTokens: [AddedToken]
    /// Whether text between added tokens is NFC-normalised first (Qwen2's tokenizer.json; not llama.cpp's GGUFs).
    public let normalizesNFC: Bool
    public let eosTokenID: Int32?
    public let padTokenID: Int32?
    public let bosTokenID: Int32?

    private let idsByToken: [String: Int32]
    private let byteTokens: [Int32]
    private let merges: BPEMergeTable
    private let allAddedTokens: SpecialTokenSplitter
    private let nonSpecialAddedTokens: SpecialTokenSplitter
    /// What each id decodes to: `decodedBytes[decodedOffsets[id]..<decodedOffsets[id + 1]]`.
    private let decodedBytes: [UInt8]
    private let decodedOffsets: [Int32]
    private let isSpecial: [Bool]
    private let tokens: [String?]

    /// `vocabulary[i]` is the model's token with id `i`, spelled in GPT-2's byte alphabet; `merges[rank]` names
    /// the two tokens it joins. Added tokens may repeat vocabulary entries (GGUF) or extend past them (tokenizer.json).
    public init(
        vocabulary: [String],
        merges: [(String, String)],
        addedTokens: [AddedToken],
        normalizesNFC: Bool,
        eosTokenID: Int32? = nil,
        padTokenID: Int32? = nil,
        bosTokenID: Int32? = nil
    ) throws(TokenizerError) {
        var idsByToken: [String: Int32] = [:]
        idsByToken.reserveCapacity(vocabulary.count + addedTokens.count)
        for (id, token) in vocabulary.enumerated() {
            guard idsByToken.updateValue(Int32(id), forKey: token) == nil else { throw .duplicateToken(token) }
        }
        var byteTokens: [Int32] = []
        for scalar in ByteLevelAlphabet.scalarOfByte {
            guard let id = idsByToken[String(Character(scalar))] else { throw .missingToken(String(Character(scalar))) }
            byteTokens.append(id)
        }
        var mergeIDs: [(left: Int32, right: Int32, merged: Int32)] = []
        mergeIDs.reserveCapacity(merges.count)
        for (index, (left, right)) in merges.enumerated() {
            func id(_ token: String, _ role: String) throws(TokenizerError) -> Int32 {
                guard let id = idsByToken[token] else {
                    throw .invalidMerge(index: index, merge: "\(left) \(right)", reason: "\(role) \(token.debugDescription) is not in the vocabulary")
                }
                return id
            }
            mergeIDs.append((try id(left, "left token"), try id(right, "right token"), try id(left + right, "merged token")))
        }

        var size = vocabulary.count
        for added in addedTokens {
            guard added.id >= 0, !added.content.isEmpty else {
                throw .invalidConfiguration("added token \(added.content.debugDescription) has id \(added.id)")
            }
            if added.id < vocabulary.count, vocabulary[Int(added.id)] != added.content {
                throw .invalidConfiguration(
                    "added token \(added.content.debugDescription) has id \(added.id), which is \(vocabulary[Int(added.id)].debugDescription)")
            }
            size = max(size, Int(added.id) + 1)
            idsByToken[added.content] = added.id
        }
        for (name, id) in [("eos", eosTokenID), ("pad", padTokenID), ("bos", bosTokenID)] {
            if let id, !(0..<Int32(size)).contains(id) {
                throw .invalidConfiguration("\(name) token id \(id) is outside the vocabulary of \(size)")
            }
        }

        var tokens = [String?](repeating: nil, count: size)
        for (id, token) in vocabulary.enumerated() { tokens[id] = token }
        var isSpecial = [Bool](repeating: false, count: size)
        for added in addedTokens {
            tokens[Int(added.id)] = added.content
            isSpecial[Int(added.id)] = added.special
        }
        // HF's ByteLevel decoder maps a token through the byte alphabet when every scalar is in it, and keeps
        // its UTF-8 otherwise.
        var decodedBytes: [UInt8] = []
        var decodedOffsets: [Int32] = [0]
        decodedOffsets.reserveCapacity(size + 1)
        for token in tokens {
            if let token { decodedBytes += ByteLevelAlphabet.bytes(of: token) ?? Array(token.utf8) }
            decodedOffsets.append(Int32(decodedBytes.count))
        }

        vocabularySize = size
        self.addedTokens = addedTokens
        self.normalizesNFC = normalizesNFC
        self.eosTokenID = eosTokenID
        self.padTokenID = padTokenID
        self.bosTokenID = bosTokenID
        self.idsByToken = idsByToken
        self.byteTokens = byteTokens
        self.merges = BPEMergeTable(merges: mergeIDs)
        allAddedTokens = SpecialTokenSplitter(tokens: addedTokens.map { ($0.content, $0.id) })
        nonSpecialAddedTokens = SpecialTokenSplitter(tokens: addedTokens.filter { !$0.special }.map { ($0.content, $0.id) })
        self.decodedBytes = decodedBytes
        self.decodedOffsets = decodedOffsets
        self.isSpecial = isSpecial
        self.tokens = tokens
    }

    /// The ids of `text`. With `allowSpecial: false`, special tokens in the text are tokenized as plain text
    /// (HF's `encode_special_tokens`); non-special added tokens are still matched whole.
    public func encode(_ text: String, allowSpecial: Bool = true) -> [Int32] {
        // A word cache pays for its allocation only on longer texts.
        var encoder = Encoder(tokenizer: self, cacheSlots: text.utf8.count >= 4096 ? 4096 : 0)
        return encoder.encode(text, allowSpecial: allowSpecial)
    }

    /// A reusable encoder for many texts on one thread: it keeps its buffers and its cache of words.
    public func makeEncoder() -> Encoder { Encoder(tokenizer: self, cacheSlots: 65536) }

    /// The text of `ids` as HF decodes it: the tokens' bytes joined, invalid UTF-8 replaced by U+FFFD
    /// (one per maximal invalid subsequence), ids outside the vocabulary ignored.
    public func decode(_ ids: [Int32], skipSpecial: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(ids.count * 4)
        for id in ids where id >= 0 && Int(id) < vocabularySize && tokens[Int(id)] != nil {
            if skipSpecial && isSpecial[Int(id)] { continue }
            bytes += decodedBytes[Int(decodedOffsets[Int(id)])..<Int(decodedOffsets[Int(id) + 1])]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The id of a vocabulary or added token, spelled as the vocabulary spells it.
    public func id(of token: String) -> Int32? { idsByToken[token] }

    /// The token with `id` as the vocabulary spells it.
    public func token(of id: Int32) -> String? {
        id >= 0 && Int(id) < vocabularySize ? tokens[Int(id)] : nil
    }

    public struct Encoder {
        private let tokenizer: BPETokenizer
        private var merger = BPEMerger()
        private var cache: BPEWordCache

        init(tokenizer: BPETokenizer, cacheSlots: Int) {
            self.tokenizer = tokenizer
            cache = BPEWordCache(slots: cacheSlots)
        }

        public mutating func encode(_ text: String, allowSpecial: Bool = true) -> [Int32] {
            var ids: [Int32] = []
            ids.reserveCapacity(text.utf8.count / 3 + 1)
            let splitter = allowSpecial ? tokenizer.allAddedTokens : tokenizer.nonSpecialAddedTokens
            splitter.forEachSegment(of: text) { segment in
                switch segment {
                case .special(let id): ids.append(id)
                case .text(let segmentText): appendPlainText(segmentText, to: &ids)
                }
                return true
            }
            return ids
        }

        private mutating func appendPlainText(_ text: Substring, to ids: inout [Int32]) {
            var text = text
            if tokenizer.normalizesNFC, !text.utf8.allSatisfy({ $0 < 0x80 }) {
                text = Substring(text.precomposedStringWithCanonicalMapping)
            }
            text.withUTF8 { bytes in
                Qwen2PreTokenizer.forEachPiece(in: bytes) { range in
                    let piece = UnsafeBufferPointer(rebasing: bytes[range])
                    if cache.appendIDs(of: piece, to: &ids) { return }
                    let first = ids.count
                    merger.appendTokens(of: piece, byteTokens: tokenizer.byteTokens, merges: tokenizer.merges, to: &ids)
                    cache.insert(piece, ids: ids[first...])
                }
            }
        }
    }
}
