/// The seeded split of the labelled items: the `share` of them with the smallest hash of (seed, idx) are held
/// out. Depends only on the seed and the idx values, not on file order or sharding.
enum HoldoutSplit {
    static func split(idx: [Int64], share: Double, seed: UInt64) -> (train: [Int], holdout: [Int]) {
        let count = Int((Double(idx.count) * share).rounded(.down))
        let keys = idx.map { hash(UInt64(bitPattern: $0) ^ (seed &* 0x9E37_79B9_7F4A_7C15)) }
        let order = idx.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : idx[$0] < idx[$1] }
        let holdout = Array(order.prefix(count)).sorted(), train = Array(order.dropFirst(count)).sorted()
        return (train, holdout)
    }

    /// SplitMix64's finaliser.
    private static func hash(_ v: UInt64) -> UInt64 {
        var z = v &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
