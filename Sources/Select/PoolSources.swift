import Scorer

/// The image_source of every pool item the decoder accepts, by idx, for inputs that lack sources (official
/// folders). Sources are interned as they are read from the items' bytes: a pool of millions of items has a
/// few dozen distinct sources, so this holds one Int32 per item instead of a String and a hash entry.
public struct PoolSources: Sendable {
    /// The distinct sources, in the order first met in the pool.
    public let names: [String]
    /// Items in the pool, accepted or not.
    public let poolItems: Int
    private let low: Int64
    /// `names` index of idx `low + k`, -1 for an idx no accepted item holds (dense idx, the usual 0..<N).
    private let dense: [Int32]
    private let hashed: [Int64: Int32]?

    /// Item k (in pool order) has idx `idx[k]`, or k itself when `idx` is nil, and source `ids[k]`; for an idx
    /// met twice the later item counts, as when decoding into a map.
    init(names: [String], poolItems: Int, idx: [Int64]?, ids: [Int32]) {
        self.names = names
        self.poolItems = poolItems
        guard let idx else {
            // Positions: the ids are the table already.
            low = 0
            dense = ids
            hashed = nil
            return
        }
        guard let lo = idx.min(), let hi = idx.max() else {
            low = 0
            dense = []
            hashed = nil
            return
        }
        // Four bytes a slot against a hash entry's dozens: dense up to 4 slots per item.
        guard IdxSet.denseEnough(low: lo, high: hi, members: idx.count, slotsPerMember: 4) else {
            low = 0
            dense = []
            var map: [Int64: Int32] = [:]
            map.reserveCapacity(idx.count)
            for (v, id) in zip(idx, ids) { map[v] = id }
            hashed = map
            return
        }
        low = lo
        var table = [Int32](repeating: -1, count: Int(hi - lo) + 1)
        for (v, id) in zip(idx, ids) { table[Int(v - lo)] = id }
        dense = table
        hashed = nil
    }

    /// The `names` index of the source of the item with this idx; nil when no accepted item has it.
    @inline(__always)
    public func source(of idx: Int64) -> Int? {
        if let hashed { return hashed[idx].map(Int.init) }
        let (k, overflow) = idx.subtractingReportingOverflow(low)
        guard !overflow, k >= 0, k < Int64(dense.count) else { return nil }
        let id = dense[Int(k)]
        return id < 0 ? nil : Int(id)
    }
}
