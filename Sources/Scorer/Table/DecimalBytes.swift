/// Numbers read straight from a text table's bytes, without making a String per cell.
///
/// Each parser answers only the plain spellings it can decide exactly (`-?digits`, `-?digits.digits` with an
/// optional exponent) and returns nil otherwise; callers then take the text path (`Float(String)`,
/// `Int64(String)`), so both paths accept and reject the same cells and give the same values.
enum DecimalBytes {
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
    /// Up to 2^24 for the digits and 10^±10 for the scale both operands are exact Floats, so one Float
    /// multiply or divide is the correctly rounded result (Clinger's fast path): the cells score tables hold
    /// ("3.51", "-0.67") take it. Up to 2^53 and 10^±22 the same holds in Double; rounding that Double to Float
    /// again gives the correctly rounded Float unless the Double sits exactly halfway between two Floats, which
    /// is left to the slow path.
    @inline(__always)
    static func float(_ p: UnsafePointer<UInt8>, _ count: Int) -> Float? {
        guard let d = scan(p, count), d.length == count else { return nil }
        return value(d)
    }

    /// The decimal `float` reads at the start of the `available` bytes at `p` and its length in bytes, for a
    /// reader that walks a number's bytes once instead of finding the cell's end first; nil where `float` of
    /// those bytes would be nil. The caller checks that a delimiter follows.
    @inline(__always)
    static func floatPrefix(_ p: UnsafePointer<UInt8>, _ available: Int) -> (value: Float, length: Int)? {
        guard let d = scan(p, available), let v = value(d) else { return nil }
        return (v, d.length)
    }

    /// The length of the decimal at the start of the `available` bytes at `p` whose value `float` reads,
    /// without computing it (cells that are only validated).
    @inline(__always)
    static func floatPrefixLength(_ p: UnsafePointer<UInt8>, _ available: Int) -> Int? { scan(p, available)?.length }

    @inline(__always)
    private static func value(_ d: (mantissa: UInt64, scale: Int, negative: Bool, length: Int)) -> Float? {
        if d.mantissa < 1 << 24, d.scale >= -10, d.scale <= 10 {
            let m = Float(d.mantissa), power = floatPowerOfTen(abs(d.scale))
            let f = d.scale < 0 ? m / power : m * power
            return d.negative ? -f : f
        }
        let m = Double(d.mantissa), power = doublePowerOfTen(abs(d.scale))
        let v = d.scale < 0 ? m / power : m * power
        // Bits of the Double below Float's precision equal to exactly one half: a tie only the decimal can break.
        if v != 0, v.bitPattern & 0x1FFF_FFFF == 0x1000_0000 { return nil }
        let f = Float(v)
        return d.negative ? -f : f
    }

    /// Whether `float` reads this spelling, without computing the value (cells that are only validated).
    @inline(__always)
    static func isFloat(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool { scan(p, count)?.length == count }

    /// The longest decimal spelling at the start of the `count` bytes at `p`: its digits as an integer, its
    /// decimal scale and its length, when within the bounds `float` converts exactly.
    @inline(__always)
    private static func scan(_ p: UnsafePointer<UInt8>, _ count: Int) -> (mantissa: UInt64, scale: Int, negative: Bool, length: Int)? {
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
        guard digits <= 19, mantissa < 1 << 53, scale >= -22, scale <= 22 else { return nil }
        return (mantissa, scale, negative, i)
    }

    /// 10^k for k in 0...10, exact in Float. A switch, not a global array: LLVM makes it a constant table, with
    /// no lazy-initialisation call and no bounds check per number.
    @inline(__always)
    private static func floatPowerOfTen(_ k: Int) -> Float {
        switch k {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        default: 1e10
        }
    }

    /// 10^k for k in 0...22, exact in Double (10^22 is the last one).
    @inline(__always)
    private static func doublePowerOfTen(_ k: Int) -> Double {
        switch k {
        case 0: 1
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }
}
