import CText

/// Numbers read straight from a text table's bytes, without making a String per cell (the parsers are C,
/// `mmssr_text.h`, shared with the CSV record reader).
///
/// Each parser answers only the plain spellings it can decide exactly (`-?digits`, `-?digits.digits` with an
/// optional exponent) and returns nil otherwise; callers then take the text path (`Float(String)`,
/// `Int64(String)`), so both paths accept and reject the same cells and give the same values.
enum DecimalBytes {
    /// An integer `-?[0-9]{1,18}` (no overflow possible); nil for anything else.
    @inline(__always)
    static func int64(_ p: UnsafePointer<UInt8>, _ count: Int) -> Int64? {
        var v: Int64 = 0
        return mmssr_decimal_int64(p, Int64(count), &v) != 0 ? v : nil
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
        guard let (v, length) = floatPrefix(p, count), length == count else { return nil }
        return v
    }

    /// The decimal `float` reads at the start of the `available` bytes at `p` and its length in bytes, for a
    /// reader that walks a number's bytes once instead of finding the cell's end first; nil where `float` of
    /// those bytes would be nil. The caller checks that a delimiter follows.
    @inline(__always)
    static func floatPrefix(_ p: UnsafePointer<UInt8>, _ available: Int) -> (value: Float, length: Int)? {
        var mantissa: UInt64 = 0, scale: Int32 = 0, negative: Int32 = 0, value: Float = 0
        let length = mmssr_decimal_scan(p, Int64(available), &mantissa, &scale, &negative)
        guard length >= 0, mmssr_decimal_value(mantissa, scale, negative, &value) != 0 else { return nil }
        return (value, Int(length))
    }

    /// The length of the decimal at the start of the `available` bytes at `p` whose value `float` reads,
    /// without computing it (cells that are only validated).
    @inline(__always)
    static func floatPrefixLength(_ p: UnsafePointer<UInt8>, _ available: Int) -> Int? {
        var mantissa: UInt64 = 0, scale: Int32 = 0, negative: Int32 = 0
        let length = mmssr_decimal_scan(p, Int64(available), &mantissa, &scale, &negative)
        return length >= 0 ? Int(length) : nil
    }

    /// Whether `float` reads this spelling, without computing the value (cells that are only validated).
    @inline(__always)
    static func isFloat(_ p: UnsafePointer<UInt8>, _ count: Int) -> Bool { floatPrefixLength(p, count) == count }
}
