/// HF's added-vocabulary pass: special tokens (`normalized: false`) are cut out of the raw text before any
/// normalisation, anywhere they occur, leftmost-longest first, and map straight to their ids.
struct SpecialTokenSplitter: Sendable {
    private let tokens: [(utf8: [UInt8], id: Int32)]
    /// `startsToken[b]`: some token begins with byte `b` (a table, not a Set: it is read for every byte).
    private let startsToken: [Bool]

    init(tokens: [(String, Int32)]) {
        self.tokens = tokens.filter { !$0.0.isEmpty }.map { (Array($0.0.utf8), $0.1) }
        var startsToken = [Bool](repeating: false, count: 256)
        for token in self.tokens { startsToken[Int(token.utf8[0])] = true }
        self.startsToken = startsToken
    }

    enum Segment {
        case text(Substring)
        case special(Int32)
    }

    /// Calls `body` on each segment in order until it returns false.
    func forEachSegment(of text: String, _ body: (Segment) -> Bool) {
        let utf8 = text.utf8
        var segmentStart = utf8.startIndex
        var index = utf8.startIndex
        while index < utf8.endIndex {
            guard startsToken[Int(utf8[index])], let match = longestMatch(in: utf8[index...]) else {
                index = utf8.index(after: index)
                continue
            }
            if segmentStart < index, !body(.text(text[segmentStart..<index])) { return }
            if !body(.special(match.id)) { return }
            index = utf8.index(index, offsetBy: match.length)
            segmentStart = index
        }
        if segmentStart < utf8.endIndex { _ = body(.text(text[segmentStart...])) }
    }

    private func longestMatch(in rest: Substring.UTF8View) -> (id: Int32, length: Int)? {
        var best: (id: Int32, length: Int)?
        for token in tokens where token.utf8.count > (best?.length ?? 0) && rest.starts(with: token.utf8) {
            best = (token.id, token.utf8.count)
        }
        return best
    }
}
