/// The merges of a BPE vocabulary keyed by the ids of the pair they join: an open-addressing table with a
/// multiplicative hash, because the merge loop looks up every adjacent pair and `Dictionary`'s SipHash is
/// several times slower than this for 64-bit keys.
struct BPEMergeTable: Sendable {
    struct Merge: Equatable {
        /// The merge's line in the merges list: lower ranks apply first.
        let rank: Int32
        let mergedID: Int32
    }

    private static let empty = UInt64.max
    private let keys: [UInt64]
    private let values: [UInt64]
    private let shift: UInt64

    /// `merges[rank]` joins `left` and `right` into `merged`. A pair listed twice keeps its last rank, as HF's map does.
    init(merges: [(left: Int32, right: Int32, merged: Int32)]) {
        var bits: UInt64 = 4
        while (1 << bits) < merges.count * 2 { bits += 1 }
        let capacity = 1 << Int(bits)
        var keys = [UInt64](repeating: Self.empty, count: capacity)
        var values = [UInt64](repeating: 0, count: capacity)
        shift = 64 - bits
        for (rank, merge) in merges.enumerated() {
            let key = Self.key(merge.left, merge.right)
            var slot = Self.slot(key, shift)
            while keys[slot] != Self.empty && keys[slot] != key { slot = (slot + 1) & (capacity - 1) }
            keys[slot] = key
            values[slot] = UInt64(UInt32(rank)) << 32 | UInt64(UInt32(bitPattern: merge.merged))
        }
        self.keys = keys
        self.values = values
    }

    @inline(__always)
    func merge(_ left: Int32, _ right: Int32) -> Merge? {
        let key = Self.key(left, right)
        let mask = keys.count - 1
        var slot = Self.slot(key, shift)
        while true {
            let stored = keys[slot]
            if stored == key {
                let value = values[slot]
                return Merge(rank: Int32(truncatingIfNeeded: value >> 32), mergedID: Int32(truncatingIfNeeded: value))
            }
            if stored == Self.empty { return nil }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }
}
