import Glibc
import Scorer

/// A fast, conservative verdict on one pool item's bytes: either "the decoder would accept this item, and
/// its idx is X" or "unsure".
///
/// The subset writer must write exactly the items the pool decoder (`PoolItemDecoder`, index mode) accepts
/// and whose idx is selected. Decoding millions of items builds strings and values for nothing, so this
/// walks the bytes once, allocating nothing, and answers `.valid` only on the plain shapes it checks
/// completely: strict RFC 8259 syntax (escapes, surrogate pairs, UTF-8, numbers), an object with
/// `conversations`, and idx / id / image / image_source of the types the decoder takes. Anything else
/// (escaped keys, a repeated special key, numeric ids, non-integer idx, deep nesting, malformed input)
/// is `.unsure` and goes to the real decoder, so a wrong guess can only cost time, never change output.
enum PoolItemProbe {
    enum Verdict: Equatable {
        /// Accepted by the decoder; `idx` is the item's explicit idx, nil when it has none (or it is null).
        case valid(idx: Int64?, source: Source)
        case unsure
    }

    /// Where the decoder's `imageSource` lies in the item's bytes (ranges of unescaped string contents).
    enum Source: Equatable {
        /// No image_source and no image: "".
        case empty
        case explicit(Range<Int>)
        /// No image_source: the first path component of this image path.
        case firstImage(Range<Int>)
        /// Escaped text or an image list: ask the decoder.
        case undetermined
    }

    static func probe(_ bytes: UnsafeBufferPointer<UInt8>) -> Verdict {
        guard let base = bytes.baseAddress else { return .unsure }
        var cursor = ProbeCursor(p: base, n: bytes.count)
        return cursor.item() ?? .unsure
    }
}

/// The walk behind `PoolItemProbe`; every method returns nil / false for "unsure".
private struct ProbeCursor {
    let p: UnsafePointer<UInt8>
    let n: Int
    var i = 0

    /// Containers nested inside a member value beyond this are left to the decoder (its limit is 512).
    static let maxDepth = 64

    private enum Key { case idx, id, image, imageSource, conversations, other }

    init(p: UnsafePointer<UInt8>, n: Int) {
        self.p = p
        self.n = n
    }

    @inline(__always)
    mutating func skipSpace() {
        while i < n, JSONBytes.isSpace(p[i]) { i += 1 }
    }

    @inline(__always)
    mutating func take(_ c: UInt8) -> Bool {
        skipSpace()
        guard i < n, p[i] == c else { return false }
        i += 1
        return true
    }

    @inline(__always)
    func at(_ c: UInt8) -> Bool { i < n && p[i] == c }

    mutating func item() -> PoolItemProbe.Verdict? {
        guard take(UInt8(ascii: "{")) else { return nil }
        var idx: Int64?
        var seen: UInt8 = 0
        var source: Range<Int>?, image: Range<Int>?
        var sourceEscaped = false, imageUndetermined = false
        skipSpace()
        if at(UInt8(ascii: "}")) {
            return nil  // no conversations: the decoder rejects it
        }
        while true {
            skipSpace()
            guard at(0x22) else { return nil }
            let keyStart = i + 1
            guard let escaped = string(), !escaped else { return nil }
            let key = classify(UnsafeBufferPointer(start: p + keyStart, count: i - 1 - keyStart))
            guard take(UInt8(ascii: ":")) else { return nil }
            skipSpace()
            if key != .other {
                let bit: UInt8 = switch key {
                case .idx: 1
                case .id: 2
                case .image: 4
                case .imageSource: 8
                default: 16
                }
                // The decoder keeps the last of repeated keys but flags the first bad one; not worth mirroring.
                guard seen & bit == 0 else { return nil }
                seen |= bit
            }
            switch key {
            case .idx:
                if literal("null") { break }
                guard let v = integer() else { return nil }
                idx = v
            case .id:
                if literal("null") { break }
                guard at(0x22), string() != nil else { return nil }
            case .imageSource:
                if literal("null") { break }
                let start = i + 1
                guard at(0x22), let escaped = string() else { return nil }
                if escaped { sourceEscaped = true } else { source = start ..< i - 1 }
            case .image:
                if literal("null") { break }
                if at(0x22) {
                    let start = i + 1
                    guard let escaped = string() else { return nil }
                    if escaped { imageUndetermined = true } else { image = start ..< i - 1 }
                } else {
                    guard stringList() else { return nil }
                    imageUndetermined = true
                }
            case .conversations, .other:
                guard value() else { return nil }
            }
            skipSpace()
            guard i < n else { return nil }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "}") { i += 1; break }
            return nil
        }
        skipSpace()
        guard i == n, seen & 16 != 0 else { return nil }
        let found: PoolItemProbe.Source =
            if sourceEscaped { .undetermined } else if let source { .explicit(source) }
            else if imageUndetermined { .undetermined } else if let image { .firstImage(image) } else { .empty }
        return .valid(idx: idx, source: found)
    }

    private func classify(_ key: UnsafeBufferPointer<UInt8>) -> Key {
        func equals(_ word: StaticString) -> Bool {
            word.utf8CodeUnitCount == key.count && memcmp(word.utf8Start, key.baseAddress!, key.count) == 0
        }
        switch key.count {
        case 2: return equals("id") ? .id : .other
        case 3: return equals("idx") ? .idx : .other
        case 5: return equals("image") ? .image : .other
        case 12: return equals("image_source") ? .imageSource : .other
        case 13: return equals("conversations") ? .conversations : .other
        default: return .other
        }
    }

    /// `[ "..." (, "...")* ]` or `[]`.
    private mutating func stringList() -> Bool {
        guard at(UInt8(ascii: "[")) else { return false }
        i += 1
        skipSpace()
        if at(UInt8(ascii: "]")) { i += 1; return true }
        while true {
            skipSpace()
            guard at(0x22), string() != nil else { return false }
            skipSpace()
            guard i < n else { return false }
            if p[i] == UInt8(ascii: ",") { i += 1; continue }
            if p[i] == UInt8(ascii: "]") { i += 1; return true }
            return false
        }
    }

    /// An integer literal that Int64 surely holds (at most 18 digits), not followed by a fraction or
    /// exponent (the decoder rejects a non-integer idx).
    private mutating func integer() -> Int64? {
        var negative = false
        if at(UInt8(ascii: "-")) { negative = true; i += 1 }
        let start = i
        guard i < n, p[i] >= 0x30, p[i] <= 0x39 else { return nil }
        var v: Int64 = 0
        if p[i] == 0x30 {
            i += 1
        } else {
            while i < n, p[i] >= 0x30, p[i] <= 0x39 {
                v = v * 10 + Int64(p[i] - 0x30)
                i += 1
                if i - start > 18 { return nil }
            }
        }
        if i < n, p[i] == UInt8(ascii: ".") || p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E") { return nil }
        return negative ? -v : v
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let k = word.utf8CodeUnitCount
        guard i + k <= n, memcmp(p + i, word.utf8Start, k) == 0 else { return false }
        i += k
        return true
    }

    /// RFC 8259 number grammar (the decoder parses any such text to a Double).
    private mutating func number() -> Bool {
        func digit() -> Bool { i < n && p[i] >= 0x30 && p[i] <= 0x39 }
        if at(UInt8(ascii: "-")) { i += 1 }
        guard digit() else { return false }
        if p[i] == 0x30 { i += 1 } else { while digit() { i += 1 } }
        if at(UInt8(ascii: ".")) {
            i += 1
            guard digit() else { return false }
            while digit() { i += 1 }
        }
        if at(UInt8(ascii: "e")) || at(UInt8(ascii: "E")) {
            i += 1
            if at(UInt8(ascii: "+")) || at(UInt8(ascii: "-")) { i += 1 }
            guard digit() else { return false }
            while digit() { i += 1 }
        }
        return true
    }

    /// Any JSON value, with an explicit stack of container kinds instead of recursion.
    private mutating func value() -> Bool {
        var objects: UInt64 = 0  // bit d: the container at nesting d is an object
        var depth = 0
        while true {
            skipSpace()
            guard i < n else { return false }
            switch p[i] {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if at(UInt8(ascii: "}")) { i += 1; break }
                guard depth < Self.maxDepth else { return false }
                objects |= 1 << UInt64(depth)
                depth += 1
                guard memberKey() else { return false }
                continue
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                if at(UInt8(ascii: "]")) { i += 1; break }
                guard depth < Self.maxDepth else { return false }
                objects &= ~(1 << UInt64(depth))
                depth += 1
                continue
            case 0x22:
                guard string() != nil else { return false }
            case UInt8(ascii: "t"):
                guard literal("true") else { return false }
            case UInt8(ascii: "f"):
                guard literal("false") else { return false }
            case UInt8(ascii: "n"):
                guard literal("null") else { return false }
            default:
                guard number() else { return false }
            }
            // A value is complete: close containers until one continues with ','.
            while true {
                if depth == 0 { return true }
                skipSpace()
                guard i < n else { return false }
                let isObject = objects >> UInt64(depth - 1) & 1 == 1
                let c = p[i]
                if c == UInt8(ascii: ",") {
                    i += 1
                    if isObject { guard memberKey() else { return false } }
                    break
                }
                guard c == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else { return false }
                i += 1
                depth -= 1
            }
        }
    }

    /// `"key" :` inside a nested object.
    private mutating func memberKey() -> Bool {
        skipSpace()
        guard at(0x22), string() != nil else { return false }
        return take(UInt8(ascii: ":"))
    }

    /// A string starting at the opening quote. Returns whether it held an escape, nil if invalid.
    private mutating func string() -> Bool? {
        i += 1
        var escaped = false
        while true {
            // Skip eight plain ASCII bytes at a time.
            while i + 8 <= n {
                let w = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self)
                let special = SWAR.bytesEqual(w, 0x22) | SWAR.bytesEqual(w, 0x5C) | SWAR.bytesBelow(w, 0x20) | SWAR.nonASCII(w)
                if special != 0 { i += special.trailingZeroBitCount >> 3; break }
                i += 8
            }
            guard i < n else { return nil }
            let c = p[i]
            if c == 0x22 {
                i += 1
                return escaped
            } else if c == 0x5C {
                guard escape() else { return nil }
                escaped = true
            } else if c < 0x20 {
                return nil
            } else if c >= 0x80 {
                guard utf8Sequence() else { return nil }
            } else {
                i += 1
            }
        }
    }

    /// One escape at the backslash; a \u high surrogate must be followed by a \u low surrogate.
    private mutating func escape() -> Bool {
        guard i + 1 < n else { return false }
        switch p[i + 1] {
        case 0x22, 0x5C, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            i += 2
            return true
        case UInt8(ascii: "u"):
            guard let v = hex4(at: i + 2) else { return false }
            i += 6
            if (0xDC00..<0xE000).contains(v) { return false }
            guard (0xD800..<0xDC00).contains(v) else { return true }
            guard i + 1 < n, p[i] == 0x5C, p[i + 1] == UInt8(ascii: "u"), let low = hex4(at: i + 2),
                  (0xDC00..<0xE000).contains(low) else { return false }
            i += 6
            return true
        default:
            return false
        }
    }

    private func hex4(at j: Int) -> UInt32? {
        guard j + 4 <= n else { return nil }
        var v: UInt32 = 0
        for k in j..<j + 4 {
            guard let d = JSONBytes.hexValue(p[k]) else { return nil }
            v = v << 4 | d
        }
        return v
    }

    /// One well-formed UTF-8 sequence at a byte >= 0x80 (Unicode Table 3-7: no overlongs, no surrogates,
    /// nothing above U+10FFFF), which is what Swift's `String(validating:)` accepts.
    private mutating func utf8Sequence() -> Bool {
        let b0 = p[i]
        func cont(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool { i + k < n && p[i + k] >= lo && p[i + k] <= hi }
        switch b0 {
        case 0xC2...0xDF:
            guard cont(1) else { return false }
            i += 2
        case 0xE0:
            guard cont(1, 0xA0), cont(2) else { return false }
            i += 3
        case 0xE1...0xEC, 0xEE...0xEF:
            guard cont(1), cont(2) else { return false }
            i += 3
        case 0xED:
            guard cont(1, 0x80, 0x9F), cont(2) else { return false }
            i += 3
        case 0xF0:
            guard cont(1, 0x90), cont(2), cont(3) else { return false }
            i += 4
        case 0xF1...0xF3:
            guard cont(1), cont(2), cont(3) else { return false }
            i += 4
        case 0xF4:
            guard cont(1, 0x80, 0x8F), cont(2), cont(3) else { return false }
            i += 4
        default:
            return false
        }
        return true
    }
}
