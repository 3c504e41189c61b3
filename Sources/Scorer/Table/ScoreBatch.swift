import CText

/// Consecutive rows of a score table as columns, holding only what selection reads: idx, status, source,
/// the 14 capability scores and the styles cell. The text readers fill these straight from the file's bytes
/// (no ScoreRow, no String per cell); sources and styles cells are interned, as a table has few distinct ones.
public struct ScoreBatch: Sendable {
    public var idx: [Int64] = []
    public var ok: [Bool] = []
    /// Index into `sourceNames`.
    public var source: [Int32] = []
    public var sourceNames: [String] = []
    /// `scores[c][row]` for capability c in `Capabilities.keys` order; NaN is a null.
    public var scores: [[Float]] = Array(repeating: [], count: Capabilities.keys.count)
    /// Index into `styleCells`, the `styles` cells as written.
    public var styles: [Int32] = []
    public var styleCells: [String] = []

    var sourceInterner = ByteInterner()
    var styleInterner = ByteInterner()

    public init() {}

    public var count: Int { idx.count }

    mutating func reserve(_ n: Int) {
        idx.reserveCapacity(n)
        ok.reserveCapacity(n)
        source.reserveCapacity(n)
        styles.reserveCapacity(n)
        for c in scores.indices { scores[c].reserveCapacity(n) }
    }

    /// A piece's rows estimated from its first row's length, with a quarter to spare: growing the 18 columns by
    /// doubling copied them and faulted in fresh pages (a tenth of a CSV read in a profile). Unused capacity is
    /// never touched. The readers give a table's first piece room for the whole table: `ScoreStore.load` keeps
    /// that batch's columns as its own and appends the other pieces into them, so the first piece's rows are
    /// never copied.
    static func estimatedRows(from: Int, to: Int, firstRow: Int) -> Int { (to - from) / max(1, firstRow) * 5 / 4 + 16 }

    /// A row the byte-level path left to the text path.
    mutating func append(_ row: ScoreRow) {
        idx.append(row.idx)
        ok.append(row.status == .ok)
        var name = row.imageSource
        source.append(name.withUTF8 { sourceInterner.id(of: $0, names: &sourceNames) })
        for c in scores.indices { scores[c].append(row.scores[c] ?? .nan) }
        var cell = row.styles
        styles.append(cell.withUTF8 { styleInterner.id(of: $0, names: &styleCells) })
    }
}

/// A status cell's bytes: "ok" is true, "error" false, anything else nil (`mmssr_status_cell`, which the CSV
/// record reader uses too).
@inline(__always)
func statusCell(_ p: UnsafePointer<UInt8>, _ len: Int) -> Bool? {
    switch mmssr_status_cell(p, Int64(len)) {
    case 1: true
    case 0: false
    default: nil
    }
}

/// Distinct byte strings to small ids: a linear-probing table keyed by a hash of the bytes. A table's sources
/// and styles cells repeat a handful of values millions of times, so the common case is one hash and one compare.
package struct ByteInterner: Sendable {
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []
    /// Every key's bytes end to end; key k is `keyBytes[keyStarts[k] ..< keyStarts[k + 1]]`. One buffer, so a
    /// compare touches no array of arrays (no retain, no second indirection).
    private var keyBytes: [UInt8] = []
    private var keyStarts: [Int] = [0]

    /// The first, middle and last eight bytes and the length, mixed independently (a styles cell is ~60
    /// bytes: byte-wise FNV was a chain of 60 multiplies, a word-wise chain still a tenth of a CSV read). Keys
    /// that share those bytes only share a slot chain: equality is always checked.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        @inline(__always) func mix(_ word: UInt64, _ key: UInt64) -> UInt64 {
            let x = (word ^ key) &* 0x9E37_79B9_7F4A_7C15
            return x ^ (x >> 29)
        }
        let n = bytes.count
        let seed = 0xcbf2_9ce4_8422_2325 ^ UInt64(n)
        guard let p = bytes.baseAddress, n > 0 else { return seed }
        guard n >= 8 else {
            var word: UInt64 = 0
            for k in 0..<n { word |= UInt64(p[k]) << (8 * k) }
            return mix(word, seed)
        }
        let raw = UnsafeRawPointer(p)
        let first = raw.loadUnaligned(as: UInt64.self)
        let middle = raw.loadUnaligned(fromByteOffset: n / 2 - 4, as: UInt64.self)
        let last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        return mix(first, seed) ^ (mix(middle, 0x94D0_49BB_1331_11EB) &+ mix(last, 0xBF58_476D_1CE4_E5B9))
    }

    package init() {}

    /// The id of `bytes`, adding it (and its String to `names`) when new.
    package mutating func id(of bytes: UnsafeBufferPointer<UInt8>, names: inout [String]) -> Int32 {
        let h = Self.hash(bytes)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[s]
            if id < 0 { break }
            if hashes[Int(id)] == h, equal(Int(id), bytes) { return id }
            s = (s + 1) & mask
        }
        let id = Int32(hashes.count)
        keyBytes.append(contentsOf: bytes)
        keyStarts.append(keyBytes.count)
        hashes.append(h)
        names.append(String(decoding: bytes, as: UTF8.self))
        slots[s] = id
        if hashes.count * 2 > slots.count { rehash() }
        return id
    }

    /// The id of `bytes` if interned, without adding it.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
        let h = Self.hash(bytes)
        let mask = slots.count - 1
        var s = Int(truncatingIfNeeded: h) & mask
        while true {
            let id = slots[s]
            if id < 0 { return nil }
            if hashes[Int(id)] == h, equal(Int(id), bytes) { return id }
            s = (s + 1) & mask
        }
    }

    /// Word-wise: the generic `elementsEqual` was a twentieth of reading a CSV table, a call to memcmp a fortieth.
    @inline(__always)
    private func equal(_ key: Int, _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = keyStarts[key], count = keyStarts[key + 1] - start
        guard count == bytes.count else { return false }
        guard let b = bytes.baseAddress, count > 0 else { return true }
        return keyBytes.withUnsafeBufferPointer { ByteScan.equal($0.baseAddress! + start, b, count) }
    }

    private mutating func rehash() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, h) in hashes.enumerated() {
            var s = Int(truncatingIfNeeded: h) & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(id)
        }
    }
}
