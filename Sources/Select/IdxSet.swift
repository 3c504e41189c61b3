/// A set of idx for the subset writer's per-item membership test: a bitmap over [min, max] when the idx
/// are dense enough (the usual 0..<N), else a hash set. Millions of lookups against a bitmap cost a few
/// milliseconds instead of a hash each.
struct IdxSet {
    private let low: Int64
    private var bits: [UInt64]
    private var hashed: Set<Int64>?

    /// Bitmaps above this many bits per member are not worth their memory; fall back to hashing.
    private static let maxBitsPerMember: Int64 = 64

    init<S: Sequence>(_ members: S) where S.Element == Int64 {
        let list = Array(members)
        guard let lo = list.min(), let hi = list.max() else {
            low = 0
            bits = []
            return
        }
        guard Self.denseEnough(low: lo, high: hi, members: list.count, slotsPerMember: Self.maxBitsPerMember) else {
            low = 0
            bits = []
            hashed = Set(list)
            return
        }
        low = lo
        bits = [UInt64](repeating: 0, count: Int((hi - lo) / 64) + 1)
        for v in list {
            let k = Int(v - lo)
            bits[k >> 6] |= 1 << UInt64(k & 63)
        }
    }

    /// Whether a table with one slot per idx in [low, high] is worth its memory for this many members, at
    /// most `slotsPerMember` slots each (plus a little), or the members should be hashed instead.
    static func denseEnough(low: Int64, high: Int64, members: Int, slotsPerMember: Int64) -> Bool {
        let (span, overflow) = high.subtractingReportingOverflow(low)
        return !overflow && span / slotsPerMember <= Int64(members) + 1024
    }

    /// An empty set with the same domain as `other`, to mark members as they are met.
    init(emptyLike other: IdxSet) {
        low = other.low
        bits = [UInt64](repeating: 0, count: other.bits.count)
        hashed = other.hashed.map { _ in [] }
    }

    @inline(__always)
    func contains(_ v: Int64) -> Bool {
        if let hashed { return hashed.contains(v) }
        let (k, overflow) = v.subtractingReportingOverflow(low)
        guard !overflow, k >= 0, k < Int64(bits.count) << 6 else { return false }
        return bits[Int(k >> 6)] & (1 << UInt64(k & 63)) != 0
    }

    /// Adds `v`, which must lie in the domain (a member of the set this one was made `emptyLike`).
    mutating func insert(_ v: Int64) {
        if hashed != nil { hashed!.insert(v); return }
        let k = Int(v - low)
        bits[k >> 6] |= 1 << UInt64(k & 63)
    }
}
