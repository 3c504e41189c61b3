/// Numbers read straight from a text table's bytes, without making a String per cell.
///
/// Each parser answers only the plain spellings it can decide exactly (`-?digits`, `-?digits.digits` with an
/// optional exponent) and returns nil otherwise; callers then take the text path (`Float(String)`,
/// `Int64(String)`), so both paths accept and reject the same cells and give the same values.
enum DecimalBytes {
    /// Exact powers of ten in Double (10^22 is the last one).
    private static let powers: [Double] = (0...22).map { e in (0..<e).reduce(1.0) { p, _ in p * 10 } }

    /// An integer `-?[0-9]{1,18}` (no overflow possible); nil for anything else.
    @inline(__always)
    static func int64(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int64? {
        var i = 0
        var negative = false
        if count > 0, p[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        let digits = count - i
        guard digits > 0, digits <= 18 else { return nil }
        var v: Int64 = 0
        while i < count {
            let d = p[i] &- 0x30
            guard d < 10 else { return nil }
            v = v &* 10 &+ Int64(d)
            i += 1
        }
        return negative ? -v : v
    }

    /// A decimal `-?[0-9]+(.[0-9]+)?([eE][-+]?[0-9]+)?`, correctly rounded to Float; nil when the spelling is
    /// another one or the value needs the slow path.
    ///
    /// Up to 2^53 for the digits and 10^±22 for the scale, m / 10^k in Double is correctly rounded (Clinger);
    /// rounding that Double to Float again gives the correctly rounded Float unless the Double sits exactly
    /// halfway between two Floats, which is left to the slow path.
    @inline(__always)
    static func float(_ p: UnsafePointer<UInt8>, _ count: Int) -> Float? {
        var i = 0
        var negative = false
        if count > 0, p[0] == UInt8(ascii: "-") { negative = true; i = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var scale = 0
        let intStart = i
        while i < count, p[i] &- 0x30 < 10 {
            mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
            digits += 1
            i += 1
        }
        guard i > intStart else { return nil }
        if i < count, p[i] == UInt8(ascii: ".") {
            i += 1
            let fracStart = i
            while i < count, p[i] &- 0x30 < 10 {
                mantissa = mantissa &* 10 &+ UInt64(p[i] &- 0x30)
                digits += 1
                i += 1
            }
            guard i > fracStart else { return nil }
            scale = fracStart - i
        }
        if i < count, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < count, p[i] == UInt8(ascii: "-") || p[i] == UInt8(ascii: "+") { expNegative = p[i] == UInt8(ascii: "-"); i += 1 }
            let expStart = i
            var e = 0
            while i < count, p[i] &- 0x30 < 10, e < 1000 { e = e * 10 + Int(p[i] &- 0x30); i += 1 }
            guard i > expStart else { return nil }
            scale += expNegative ? -e : e
        }
        guard i == count, digits <= 19, mantissa < 1 << 53, scale >= -22, scale <= 22 else { return nil }
        let m = Double(mantissa)
        let d = scale < 0 ? m / powers[-scale] : m * powers[scale]
        // Bits of the Double below Float's precision equal to exactly one half: a tie only the decimal can break.
        if d != 0, d.bitPattern & 0x1FFF_FFFF == 0x1000_0000 { return nil }
        let f = Float(d)
        return negative ? -f : f
    }
}
