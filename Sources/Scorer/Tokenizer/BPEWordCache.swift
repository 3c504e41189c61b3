/// A direct-mapped cache from short words (at most 16 bytes) to their BPE ids. Natural text repeats its words
/// so often that most pieces are found here, which skips the merge loop; a word that collides with another
/// simply replaces it. Keys are the word's bytes packed into two integers, so lookups neither hash strings
/// nor allocate.
struct BPEWordCache {
    static let maxWordBytes = 16
    static let maxIDs = 8

    private let mask: Int
    /// Per slot: the word's bytes as two little-endian integers, its length (0: empty) and its ids.
    private var words: [UInt64]
    private var lengths: [UInt8]
    private var idCounts: [UInt8]
    private var ids: [Int32]

    /// `slots` is rounded up to a power of two; 0 makes a cache that never holds anything.
    init(slots: Int) {
        var capacity = slots > 0 ? 1 : 0
        while capacity < slots { capacity <<= 1 }
        mask = capacity - 1
        words = [UInt64](repeating: 0, count: 2 * capacity)
        lengths = [UInt8](repeating: 0, count: capacity)
        idCounts = [UInt8](repeating: 0, count: capacity)
        ids = [Int32](repeating: 0, count: Self.maxIDs * capacity)
    }

    /// Appends the cached ids of `word` to `output` and returns true, or returns false if it is not cached.
    @inline(__always)
    func appendIDs(of word: UnsafeBufferPointer<UInt8>, to output: inout [Int32]) -> Bool {
        guard mask >= 0, word.count <= Self.maxWordBytes else { return false }
        let (low, high) = Self.pack(word)
        let slot = Self.slot(low, high, mask)
        guard Int(lengths[slot]) == word.count, words[2 * slot] == low, words[2 * slot + 1] == high else { return false }
        let first = Self.maxIDs * slot
        output.append(contentsOf: ids[first..<first + Int(idCounts[slot])])
        return true
    }

    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, ids wordIDs: ArraySlice<Int32>) {
        guard mask >= 0, word.count <= Self.maxWordBytes, wordIDs.count <= Self.maxIDs else { return }
        let (low, high) = Self.pack(word)
        let slot = Self.slot(low, high, mask)
        words[2 * slot] = low
        words[2 * slot + 1] = high
        lengths[slot] = UInt8(word.count)
        idCounts[slot] = UInt8(wordIDs.count)
        let first = Self.maxIDs * slot
        for (offset, id) in wordIDs.enumerated() { ids[first + offset] = id }
    }

    @inline(__always)
    private static func pack(_ word: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64) {
        var low: UInt64 = 0
        var high: UInt64 = 0
        for (index, byte) in word.enumerated() {
            if index < 8 { low |= UInt64(byte) << (8 * index) } else { high |= UInt64(byte) << (8 * (index - 8)) }
        }
        return (low, high)
    }

    @inline(__always)
    private static func slot(_ low: UInt64, _ high: UInt64, _ mask: Int) -> Int {
        let mixed = (low ^ (high &* 0xC2B2_AE3D_27D4_EB4F)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 40) & mask
    }
}
