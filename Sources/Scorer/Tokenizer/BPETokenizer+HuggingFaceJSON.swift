import Foundation

extension BPETokenizer {
    /// The pre-tokenizer regex of Qwen2's tokenizer.json, the split `Qwen2PreTokenizer` implements.
    static let qwen2SplitPattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Builds the tokenizer a Hugging Face `tokenizer.json` describes, refusing any pipeline this type does not
    /// reproduce exactly: a BPE model without dropout or unknown token, no normaliser or NFC, Qwen2's split then
    /// ByteLevel without its own regex, and added tokens without strip or single-word rules.
    public static func loadingHuggingFaceJSON(path: String) throws(TokenizerError) -> BPETokenizer {
        func fail(_ location: String, _ reason: String) -> TokenizerError {
            .malformedFile(path: path, location: location, reason: reason)
        }
        let root = try TokenizerJSONFile.root(path: path)
        func object(_ value: Any?, _ location: String) throws(TokenizerError) -> [String: Any] {
            guard let object = value as? [String: Any] else { throw fail(location, "missing or not an object") }
            return object
        }

        let model = try object(root["model"], "model")
        guard model["type"] as? String == "BPE" else { throw fail("model.type", "must be \"BPE\"") }
        guard model["dropout"] == nil || model["dropout"] is NSNull else { throw fail("model.dropout", "must be null") }
        guard model["unk_token"] == nil || model["unk_token"] is NSNull else { throw fail("model.unk_token", "must be null") }
        guard (model["continuing_subword_prefix"] as? String ?? "").isEmpty, (model["end_of_word_suffix"] as? String ?? "").isEmpty,
            model["byte_fallback"] as? Bool != true, model["ignore_merges"] as? Bool != true
        else { throw fail("model", "subword prefixes, suffixes, byte fallback and ignore_merges are not supported") }

        guard let vocabMap = model["vocab"] as? [String: Int] else { throw fail("model.vocab", "missing or not token -> id") }
        var vocabulary = [String?](repeating: nil, count: vocabMap.count)
        for (token, id) in vocabMap {
            guard vocabulary.indices.contains(id), vocabulary[id] == nil else {
                throw fail("model.vocab", "ids are not 0..<\(vocabMap.count) (token \(token.debugDescription) has \(id))")
            }
            vocabulary[id] = token
        }

        guard let mergeList = model["merges"] as? [Any] else { throw fail("model.merges", "missing or not a list") }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeList.count)
        for (index, entry) in mergeList.enumerated() {
            // Older files write "left right", newer ones ["left", "right"].
            if let pair = entry as? [String], pair.count == 2 {
                merges.append((pair[0], pair[1]))
            } else if let line = entry as? String, case let parts = line.split(separator: " ", omittingEmptySubsequences: false),
                parts.count == 2
            {
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw fail("model.merges[\(index)]", "not two tokens")
            }
        }

        let normalizesNFC: Bool
        switch root["normalizer"] {
        case nil, is NSNull: normalizesNFC = false
        case let normalizer as [String: Any] where normalizer["type"] as? String == "NFC": normalizesNFC = true
        default: throw fail("normalizer", "must be null or NFC")
        }
        try checkPreTokenizer(root["pre_tokenizer"], fail)
        if let decoder = root["decoder"], !(decoder is NSNull) {
            guard (decoder as? [String: Any])?["type"] as? String == "ByteLevel" else { throw fail("decoder", "must be ByteLevel") }
        }

        var added: [AddedToken] = []
        for (index, entry) in (root["added_tokens"] as? [Any] ?? []).enumerated() {
            let location = "added_tokens[\(index)]"
            guard let token = entry as? [String: Any], let content = token["content"] as? String, let id = token["id"] as? Int,
                let id32 = Int32(exactly: id)
            else { throw fail(location, "needs a content string and an id") }
            guard token["single_word"] as? Bool != true, token["lstrip"] as? Bool != true, token["rstrip"] as? Bool != true,
                token["normalized"] as? Bool != true
            else { throw fail(location, "single_word, lstrip, rstrip and normalized added tokens are not supported") }
            added.append(AddedToken(content: content, id: id32, special: token["special"] as? Bool ?? false))
        }
        func specialID(_ name: String) -> Int32? {
            added.first { $0.content == name }?.id
        }
        do {
            return try BPETokenizer(
                vocabulary: vocabulary.map { $0! }, merges: merges, addedTokens: added, normalizesNFC: normalizesNFC,
                eosTokenID: specialID("<|im_end|>") ?? specialID("<|endoftext|>"), padTokenID: specialID("<|endoftext|>"))
        } catch {
            throw fail("model", "\(error)")
        }
    }

    /// Qwen2's pre-tokenizer: Split(Qwen2's regex, Isolated) then ByteLevel(add_prefix_space: false, use_regex: false).
    private static func checkPreTokenizer(
        _ value: Any?, _ fail: (String, String) -> TokenizerError
    ) throws(TokenizerError) {
        let location = "pre_tokenizer"
        guard let sequence = value as? [String: Any], sequence["type"] as? String == "Sequence",
            let steps = sequence["pretokenizers"] as? [[String: Any]], steps.count == 2
        else { throw fail(location, "must be a Sequence of Qwen2's Split and ByteLevel") }
        let split = steps[0]
        guard split["type"] as? String == "Split", (split["pattern"] as? [String: Any])?["Regex"] as? String == qwen2SplitPattern,
            split["behavior"] as? String == "Isolated", split["invert"] as? Bool != true
        else { throw fail("\(location).pretokenizers[0]", "must be Split on Qwen2's regex, Isolated") }
        let byteLevel = steps[1]
        guard byteLevel["type"] as? String == "ByteLevel", byteLevel["add_prefix_space"] as? Bool != true,
            byteLevel["use_regex"] as? Bool == false
        else { throw fail("\(location).pretokenizers[1]", "must be ByteLevel without prefix space or regex") }
    }
}
