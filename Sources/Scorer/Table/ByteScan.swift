/// Byte loops of the JSON readers eight bytes at a time (SWAR): the end of a plain string, key compares.
enum ByteScan {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` equal to `byte`; exact for the lowest flagged byte (a borrow can only
    /// flag bytes above a true match, which the callers never look at).
    @inline(__always)
    private static func matches(_ word: UInt64, _ byte: UInt8) -> UInt64 {
        let x = word ^ (ones &* UInt64(byte))
        return (x &- ones) & ~x & highs
    }

    /// The index in [from, end) of the first byte a plain JSON string ends or stops at: a quote, a backslash, a
    /// control byte (< 0x20) or a non-ASCII byte (>= 0x80); `end` if none.
    @inline(__always)
    static func firstNotPlain(_ base: UnsafePointer<UInt8>, from: Int, end: Int) -> Int {
        var i = from
        let raw = UnsafeRawPointer(base)
        while i + 8 <= end {
            let w = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            // Bytes below 0x20: the borrow trick as in `matches`, exact for the lowest flagged byte.
            let control = (w &- ones &* 0x20) & ~w & highs
            let hit = matches(w, 0x22) | matches(w, 0x5C) | control | (w & highs)
            if hit != 0 { return i + hit.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < end {
            let x = base[i]
            if x == 0x22 || x == 0x5C || x < 0x20 || x >= 0x80 { return i }
            i += 1
        }
        return end
    }

    /// Whether the `count` bytes at `a` and at `b` are equal, a word at a time (keys are a few bytes: a call to
    /// memcmp per key was a fourteenth of reading a JSONL table).
    @inline(__always)
    static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
        guard count >= 8 else {
            for k in 0..<count where a[k] != b[k] { return false }
            return true
        }
        var i = 0
        while i + 8 < count {
            if ra.loadUnaligned(fromByteOffset: i, as: UInt64.self) != rb.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
            i += 8
        }
        return ra.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self) == rb.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
    }
}
