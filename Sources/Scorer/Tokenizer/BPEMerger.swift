/// Applies a vocabulary's merges to one pre-tokenized word, in HF `tokenizers`' order: the lowest-ranked
/// adjacent pair first, the leftmost on ties, one occurrence at a time. A min-heap of candidate pairs over a
/// linked list of symbols keeps long words (runs of spaces or `=` in code) O(n log n). Reusable scratch:
/// after the first words it allocates nothing.
struct BPEMerger {
    private var symbols: [Int32] = []
    private var previous: [Int32] = []
    private var next: [Int32] = []
    /// (rank << 32 | position of the pair's left symbol, merged id), smallest key on top.
    private var heap: [(key: UInt64, mergedID: Int32)] = []

    /// Appends the ids the merges make of `word`, whose bytes map to single-byte tokens by `byteTokens`.
    mutating func appendTokens(
        of word: UnsafeBufferPointer<UInt8>, byteTokens: [Int32], merges: BPEMergeTable, to ids: inout [Int32]
    ) {
        let count = word.count
        if count == 1 {
            ids.append(byteTokens[Int(word[0])])
            return
        }
        symbols.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        next.removeAll(keepingCapacity: true)
        heap.removeAll(keepingCapacity: true)
        for (index, byte) in word.enumerated() {
            symbols.append(byteTokens[Int(byte)])
            previous.append(Int32(index - 1))
            next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        for position in 0..<count - 1 { pushPair(at: position, merges) }

        while let top = popMin() {
            let position = Int(truncatingIfNeeded: top.key & 0xFFFF_FFFF)
            // Skip candidates a previous merge made stale, as HF does: the left symbol was merged away,
            // it has no right neighbour any more, or the pair there now merges into something else.
            guard symbols[position] >= 0, next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard merges.merge(symbols[position], symbols[right])?.mergedID == top.mergedID else { continue }
            symbols[position] = top.mergedID
            symbols[right] = -1
            next[position] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(position) }
            if previous[position] >= 0 { pushPair(at: Int(previous[position]), merges) }
            if next[position] >= 0 { pushPair(at: position, merges) }
        }
        var position = 0
        while position >= 0 {
            ids.append(symbols[position])
            position = Int(next[position])
        }
    }

    private mutating func pushPair(at position: Int, _ merges: BPEMergeTable) {
        guard let merge = merges.merge(symbols[position], symbols[Int(next[position])]) else { return }
        heap.append((UInt64(UInt32(merge.rank)) << 32 | UInt64(position), merge.mergedID))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].key < heap[parent].key else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popMin() -> (key: UInt64, mergedID: Int32)? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < heap.count else { break }
            let smaller = left + 1 < heap.count && heap[left + 1].key < heap[left].key ? left + 1 : left
            guard heap[smaller].key < heap[parent].key else { break }
            heap.swapAt(smaller, parent)
            parent = smaller
        }
        return top
    }
}
