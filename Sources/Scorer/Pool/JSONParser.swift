/// A strict RFC 8259 parser over a byte buffer.
///
/// Written by hand rather than using Foundation's JSONSerialization because the pool reader needs two
/// things it cannot give: validating a value without building it (unknown fields of a pool item are
/// passed through as raw bytes), and error positions in bytes that we can report against the file.
public struct JSONParseError: Error, Sendable, Equatable {
    /// Offset inside the parsed buffer.
    public let offset: Int
    public let reason: String
}

public struct JSONParser: ~Copyable {
    private let bytes: UnsafeBufferPointer<UInt8>
    public private(set) var offset: Int
    private let maxDepth = 512

    public init(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// Parses exactly one value followed only by whitespace.
    public static func parseDocument(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buf) throws(JSONParseError) -> JSONValue in
            var parser = JSONParser(buf)
            let value = try parser.parseValue()
            try parser.expectEnd()
            return value
        }
    }

    public mutating func expectEnd() throws(JSONParseError) {
        skipWhitespace()
        if offset != bytes.count { throw fail("unexpected data after the value") }
    }

    func fail(_ reason: String) -> JSONParseError { JSONParseError(offset: offset, reason: reason) }

    public mutating func skipWhitespace() {
        while offset < bytes.count, JSONBytes.isSpace(bytes[offset]) { offset += 1 }
    }

    public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    public mutating func expect(_ byte: UInt8) throws(JSONParseError) {
        guard peek() == byte else {
            throw fail("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        offset += 1
    }

    public mutating func parseValue(depth: Int = 0) throws(JSONParseError) -> JSONValue {
        guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        guard let b = peek() else { throw fail("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"):
            var members: [(String, JSONValue)] = []
            try parseObject(depth: depth) { (parser, key) throws(JSONParseError) in
                members.append((key, try parser.parseValue(depth: depth + 1)))
            }
            return .object(members)
        case UInt8(ascii: "["):
            offset += 1
            var items: [JSONValue] = []
            if peek() == UInt8(ascii: "]") { offset += 1; return .array(items) }
            while true {
                items.append(try parseValue(depth: depth + 1))
                guard let sep = peek() else { throw fail("unterminated array") }
                offset += 1
                if sep == UInt8(ascii: "]") { return .array(items) }
                if sep != UInt8(ascii: ",") { offset -= 1; throw fail("expected ',' or ']' in array") }
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return try parseNumber()
        }
    }

    /// Walks an object, handing each key to `member`, which must consume the member's value.
    public mutating func parseObject(
        depth: Int = 0, _ member: (inout JSONParser, String) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        try expect(UInt8(ascii: "{"))
        if peek() == UInt8(ascii: "}") { offset += 1; return }
        while true {
            guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            let key = try parseString()
            try expect(UInt8(ascii: ":"))
            try member(&self, key)
            guard let sep = peek() else { throw fail("unterminated object") }
            offset += 1
            if sep == UInt8(ascii: "}") { return }
            if sep != UInt8(ascii: ",") { offset -= 1; throw fail("expected ',' or '}' in object") }
        }
    }

    /// Validates one value without materialising it.
    public mutating func skipValue(depth: Int = 0) throws(JSONParseError) {
        guard depth < maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        guard let b = peek() else { throw fail("unexpected end of input") }
        switch b {
        case UInt8(ascii: "{"):
            try parseObject(depth: depth) { (parser, _) throws(JSONParseError) in try parser.skipValue(depth: depth + 1) }
        case UInt8(ascii: "["):
            offset += 1
            if peek() == UInt8(ascii: "]") { offset += 1; return }
            while true {
                try skipValue(depth: depth + 1)
                guard let sep = peek() else { throw fail("unterminated array") }
                offset += 1
                if sep == UInt8(ascii: "]") { return }
                if sep != UInt8(ascii: ",") { offset -= 1; throw fail("expected ',' or ']' in array") }
            }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: _ = try parseNumber()
        }
    }

    private mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { throw fail("invalid literal") }
        let w = word.utf8Start
        for i in 0..<n where bytes[offset + i] != w[i] { throw fail("invalid literal") }
        offset += n
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = offset
        var i = offset
        func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
        if i < bytes.count && bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard digit(i) else { throw fail("invalid value") }
        if bytes[i] == UInt8(ascii: "0") { i += 1 } else { while digit(i) { i += 1 } }
        var isInteger = true
        if i < bytes.count && bytes[i] == UInt8(ascii: ".") {
            isInteger = false
            i += 1
            guard digit(i) else { offset = i; throw fail("invalid number") }
            while digit(i) { i += 1 }
        }
        if i < bytes.count && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
            isInteger = false
            i += 1
            if i < bytes.count && (bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-")) { i += 1 }
            guard digit(i) else { offset = i; throw fail("invalid number") }
            while digit(i) { i += 1 }
        }
        offset = i
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
        guard let d = Double(text) else { throw fail("invalid number") }
        return .number(d, integer: isInteger ? Int64(text) : nil)
    }

    private mutating func skipString() throws(JSONParseError) {
        offset += 1
        let start = offset
        var ascii = true
        var scratch: [UInt8] = []
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                if !ascii, String(validating: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self) == nil {
                    throw fail("invalid UTF-8 in string")
                }
                offset += 1
                return
            }
            if c == UInt8(ascii: "\\") {
                scratch.removeAll(keepingCapacity: true)
                try parseEscape(into: &scratch)
                continue
            }
            if c < 0x20 { throw fail("control character in string") }
            if c >= 0x80 { ascii = false }
            offset += 1
        }
        throw fail("unterminated string")
    }

    public mutating func parseString() throws(JSONParseError) -> String {
        offset += 1
        var out: [UInt8] = []
        var runStart = offset
        while offset < bytes.count {
            let c = bytes[offset]
            if c == UInt8(ascii: "\"") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<offset]))
                offset += 1
                guard let s = String(validating: out, as: UTF8.self) else {
                    offset = runStart
                    throw fail("invalid UTF-8 in string")
                }
                return s
            }
            if c == UInt8(ascii: "\\") {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<offset]))
                try parseEscape(into: &out)
                runStart = offset
                continue
            }
            if c < 0x20 { throw fail("control character in string") }
            offset += 1
        }
        throw fail("unterminated string")
    }

    private mutating func parseEscape(into out: inout [UInt8]) throws(JSONParseError) {
        guard offset + 1 < bytes.count else { throw fail("unterminated escape") }
        let e = bytes[offset + 1]
        offset += 2
        switch e {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hex4()
            if (0xD800..<0xDC00).contains(scalar) {
                guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                    throw fail("unpaired surrogate")
                }
                offset += 2
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw fail("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00..<0xE000).contains(scalar) {
                throw fail("unpaired surrogate")
            }
            out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
        default:
            offset -= 1
            throw fail("invalid escape")
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            guard let d = JSONBytes.hexValue(bytes[offset]) else { throw fail("invalid \\u escape") }
            v = v << 4 | d
            offset += 1
        }
        return v
    }
}
