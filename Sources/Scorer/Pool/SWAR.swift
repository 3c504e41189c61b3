/// Byte tests on eight bytes at once in a UInt64 ("SIMD within a register"), for the pool scanners.
///
/// Each returns a mask with bit 7 of a byte set where that byte matches. Only the lowest set byte is
/// guaranteed exact (a borrow can flag a byte just above a real match), which is all the scanners use:
/// "is there any match" and "where is the first one".
///
/// `@inlinable` because the subset writer's item probe (module Select) calls these in its innermost
/// loop; an out-of-line call per eight bytes would cost more than the test itself.
package enum SWAR {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    @inlinable @inline(__always)
    package static func bytesEqual(_ w: UInt64, _ b: UInt8) -> UInt64 {
        let x = w ^ (ones &* UInt64(b))
        return (x &- ones) & ~x & highs
    }

    /// Bytes below `n` (n <= 128).
    @inlinable @inline(__always)
    package static func bytesBelow(_ w: UInt64, _ n: UInt8) -> UInt64 {
        (w &- ones &* UInt64(n)) & ~w & highs
    }

    /// Bytes with the high bit set (non-ASCII); exact for every byte.
    @inlinable @inline(__always)
    package static func nonASCII(_ w: UInt64) -> UInt64 { w & highs }
}
