/// The vocabulary as a byte trie over UTF-8, so WordPiece's greedy longest-match-first is a single walk per
/// piece instead of HF's shrinking-substring dictionary probes; both find the longest vocabulary prefix.
struct WordPieceVocabulary: Sendable {
    /// Child of node `n` on byte `b` is `edges[n << 8 | b]`; node 0 is the root.
    private let edges: [UInt64: Int32]
    /// Token id ending at each node, or -1.
    private let tokenIDs: [Int32]
    /// Node reached by the continuing-subword prefix; nil when no token carries the prefix.
    private let continuationRoot: Int32?

    init(tokens: [String], continuingSubwordPrefix: String) {
        var edges: [UInt64: Int32] = [:]
        var tokenIDs: [Int32] = [-1]
        for (id, token) in tokens.enumerated() {
            var node: Int32 = 0
            for byte in token.utf8 {
                let key = UInt64(node) << 8 | UInt64(byte)
                if let existing = edges[key] {
                    node = existing
                } else {
                    node = Int32(tokenIDs.count)
                    tokenIDs.append(-1)
                    edges[key] = node
                }
            }
            tokenIDs[Int(node)] = Int32(id)
        }
        var node: Int32? = 0
        for byte in continuingSubwordPrefix.utf8 {
            guard let current = node else { break }
            node = edges[UInt64(current) << 8 | UInt64(byte)]
        }
        continuationRoot = node
        self.edges = edges
        self.tokenIDs = tokenIDs
    }

    /// Appends the pieces of `word` to `ids`; returns false, leaving `ids` untouched, if some remainder of
    /// the word has no matching piece.
    func appendPieces(of word: UnsafeBufferPointer<UInt8>, to ids: inout [Int32]) -> Bool {
        let rollback = ids.count
        var start = 0
        while start < word.count {
            guard let root = start == 0 ? 0 : continuationRoot else {
                ids.removeSubrange(rollback...)
                return false
            }
            var node = root
            var matchEnd = -1
            var matchID: Int32 = -1
            var position = start
            while position < word.count, let next = edges[UInt64(node) << 8 | UInt64(word[position])] {
                node = next
                position += 1
                let id = tokenIDs[Int(node)]
                if id >= 0 {
                    matchEnd = position
                    matchID = id
                }
            }
            guard matchEnd > start else {
                ids.removeSubrange(rollback...)
                return false
            }
            ids.append(matchID)
            start = matchEnd
        }
        return true
    }
}
