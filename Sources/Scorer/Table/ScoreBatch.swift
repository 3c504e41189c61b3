import Glibc

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

/// A status cell's bytes: "ok" is true, "error" false, anything else nil.
@inline(__always)
func statusCell(_ p: UnsafePointer<UInt8>, _ len: Int) -> Bool? {
    if len == 2, p[0] == UInt8(ascii: "o"), p[1] == UInt8(ascii: "k") { return true }
    if len == 5, p[0] == UInt8(ascii: "e"), p[1] == UInt8(ascii: "r"), p[2] == UInt8(ascii: "r"),
       p[3] == UInt8(ascii: "o"), p[4] == UInt8(ascii: "r") { return false }
    return nil
}

/// Distinct byte strings to small ids: a linear-probing table keyed by a hash of the bytes. A table's sources
/// and styles cells repeat a handful of values millions of times, so the common case is one hash and one compare.
package struct ByteInterner: Sendable {
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes: [UInt64] = []
    private var keys: [[UInt8]] = []

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
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
            if hashes[Int(id)] == h, Self.equal(keys[Int(id)], bytes) { return id }
            s = (s + 1) & mask
        }
        let id = Int32(keys.count)
        keys.append(Array(bytes))
        hashes.append(h)
        names.append(String(decoding: bytes, as: UTF8.self))
        slots[s] = id
        if keys.count * 2 > slots.count { rehash() }
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
            if hashes[Int(id)] == h, Self.equal(keys[Int(id)], bytes) { return id }
            s = (s + 1) & mask
        }
    }

    /// `memcmp`: the generic `elementsEqual` was a twentieth of reading a CSV table.
    @inline(__always)
    private static func equal(_ key: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard key.count == bytes.count else { return false }
        guard let b = bytes.baseAddress, !key.isEmpty else { return true }
        return key.withUnsafeBufferPointer { memcmp($0.baseAddress!, b, key.count) == 0 }
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
