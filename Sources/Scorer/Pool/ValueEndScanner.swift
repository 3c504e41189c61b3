/// `PoolFramer`'s rule for where an item of a JSON array ends, as a resumable scanner: it tracks strings,
/// escapes and bracket depth, and stops after the bracket (or string) that closes the item, or at a
/// comma, whitespace or closing bracket at depth 0. It does not validate: that is the decoder's job.
///
/// Inside strings it skips eight bytes at a time while none is a quote or a backslash; pool items are
/// mostly string bytes, so this is where framing spends its time.
struct ValueEndScanner {
    private var depth = 0
    private var inString = false
    private var escaped = false

    /// Scans `p[from..<to]` on from where the last call stopped. Returns the index just past the item, or
    /// -1 when the item goes on beyond `to` (call again with more bytes; indices may shift in between).
    mutating func scan(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        while i < to {
            if inString {
                if escaped {
                    escaped = false
                    i += 1
                    continue
                }
                i = Self.nextQuoteOrBackslash(p, from: i, to: to)
                guard i < to else { return -1 }
                if p[i] == 0x5C {
                    escaped = true
                } else {
                    inString = false
                    if depth == 0 { return i + 1 }
                }
                i += 1
                continue
            }
            switch p[i] {
            case 0x22: inString = true
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D:
                if depth == 0 { return i }
                depth -= 1
                if depth == 0 { return i + 1 }
            case 0x2C, 0x20, 0x0A, 0x0D, 0x09:
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return -1
    }

    /// Index of the first '"' or '\' in `p[from..<to]`, or `to`.
    @inline(__always)
    static func nextQuoteOrBackslash(_ p: UnsafePointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        while i + 8 <= to {
            let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
            let hits = SWAR.bytesEqual(w, 0x22) | SWAR.bytesEqual(w, 0x5C)
            // The lowest flagged byte is always a true match (little-endian: the first in memory).
            if hits != 0 { return i + hits.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < to, p[i] != 0x22, p[i] != 0x5C { i += 1 }
        return i
    }
}
