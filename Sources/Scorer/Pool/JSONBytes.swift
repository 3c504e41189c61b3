/// RFC 8259 byte classes, shared by everything that reads pool bytes (the parser, the framer and the
/// subset writer's item probe in Select) so that they cannot disagree on what is whitespace or a hex digit.
///
/// `@inlinable` because the probe calls `isSpace` between every token of every item.
package enum JSONBytes {
    /// JSON's insignificant whitespace: space, tab, line feed, carriage return.
    @inlinable @inline(__always)
    package static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// The value of one hex digit of a `\u` escape (either case), nil for any other byte.
    @inlinable @inline(__always)
    package static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x30...0x39: return UInt32(c - 0x30)
        case 0x41...0x46: return UInt32(c - 0x41 + 10)
        case 0x61...0x66: return UInt32(c - 0x61 + 10)
        default: return nil
        }
    }
}
