import Foundation
import XCTest
import Scorer
@testable import Select

/// `PoolFramer` is the only pool framing (`PoolReader` and the subset writer both use it), so it is held
/// here against what does not depend on it: hand-written items and errors, Foundation's JSON parser for
/// random arrays, and a plain line split for random JSONL.
final class PoolFramerTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "select-framer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(atPath: dir) }
    }

    private struct Span: Equatable, CustomStringConvertible {
        var position: Int
        var offset: Int
        var bytes: [UInt8]
        var line: Int
        var description: String { "#\(position)@\(offset) line \(line): \(String(decoding: bytes, as: UTF8.self))" }
    }

    private struct Framing: Equatable {
        var format: PoolReader.Format?
        var spans: [Span] = []
        var error: PoolError?
    }

    private func frame(_ path: String, chunk: Int) -> Framing {
        var f = Framing()
        do {
            let framer = try PoolFramer(path: path, chunkSize: chunk)
            f.format = framer.format
            while let item = try framer.next() {
                f.spans.append(Span(position: item.position, offset: item.byteOffset, bytes: Array(item.bytes), line: item.line))
            }
        } catch {
            f.error = error
        }
        return f
    }

    /// Frames `bytes` with several buffer sizes (so items straddle refills) and requires one answer.
    private func framing(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> (path: String, framing: Framing) {
        let path = dir + "/pool.json"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let result = frame(path, chunk: 1 << 20)
        for chunk in [64, 97, 4096] {
            XCTAssertEqual(frame(path, chunk: chunk), result, "chunk \(chunk): \(String(decoding: bytes, as: UTF8.self))", file: file, line: line)
        }
        return (path, result)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    // MARK: hand-written expectations

    /// `items` are the expected item texts in order; their offsets are where each occurs next in `text`.
    private func check(
        _ text: String, items: [String], lines: [Int]? = nil, error: (offset: Int, reason: String)? = nil,
        file: StaticString = #filePath, line: UInt = #line
    ) throws {
        let bytes = Array(text.utf8)
        let (path, got) = try framing(bytes, file: file, line: line)
        var expected: [Span] = []
        var from = 0
        for (k, item) in items.enumerated() {
            let want = Array(item.utf8)
            let at = try XCTUnwrap((from...bytes.count - want.count).first { Array(bytes[$0..<$0 + want.count]) == want }, item)
            expected.append(Span(position: k, offset: at, bytes: want, line: lines?[k] ?? 0))
            from = at + want.count
        }
        XCTAssertEqual(got.spans, expected, text, file: file, line: line)
        XCTAssertEqual(got.error, error.map { .brokenArray(path: path, byteOffset: $0.offset, reason: $0.reason) }, text, file: file, line: line)
    }

    func testArraysSplitWhereTheirItemsEnd() throws {
        try check(#"[{"a":"x\"]},{"}, {"b":["]","\\"]}, {"c":{"d":{"e":"中文😀"}}}]"#,
                  items: [#"{"a":"x\"]},{"}"#, #"{"b":["]","\\"]}"#, #"{"c":{"d":{"e":"中文😀"}}}"#])
        try check("[]", items: [])
        try check("  [ ]  \n", items: [])
        try check("[1, \"two\", true, null, [3]]", items: ["1", "\"two\"", "true", "null", "[3]"])
        try check("\u{FEFF}[{}]", items: ["{}"])
        try check("[ {\"a\":1}\r\n,\t{\"b\" : 2} ]", items: ["{\"a\":1}", "{\"b\" : 2}"])
        // Framing does not validate: a malformed item is still an item, for the decoder to reject.
        try check("[{\"a\":1 x}, {broken}]", items: ["{\"a\":1 x}", "{broken}"])
        let long = "{\"s\":\"" + String(repeating: "\\\"", count: 40) + String(repeating: "y", count: 300) + "\"}"
        try check("[" + long + "]", items: [long])
    }

    func testBrokenArraysStopAtTheByteOfTheBreak() throws {
        try check("[", items: [], error: (1, "unterminated array (missing ']')"))
        try check("[{\"a\":1}", items: ["{\"a\":1}"], error: (8, "unterminated array (missing ']')"))
        try check("[{\"a\":1},]", items: ["{\"a\":1}"], error: (9, "missing item"))
        try check("[,{\"a\":1}]", items: [], error: (1, "missing item"))
        // A stray closing bracket ends an (empty) item at once; the framer then sees no ',' after it.
        let (path, got) = try framing(Array("[}]".utf8))
        XCTAssertEqual(got.spans, [Span(position: 0, offset: 1, bytes: [], line: 0)])
        XCTAssertEqual(got.error, .brokenArray(path: path, byteOffset: 1, reason: "expected ',' or ']' between items"))
        try check("[{\"a\":1} {\"b\":2}]", items: ["{\"a\":1}"], error: (9, "expected ',' or ']' between items"))
        try check("[{\"a\":1}] x", items: ["{\"a\":1}"], error: (10, "data after the closing ']'"))
        try check("[{\"a\":1}]]", items: ["{\"a\":1}"], error: (9, "data after the closing ']'"))
        try check("[{\"a\":1}, {\"a\":\"unterminated}]", items: ["{\"a\":1}"], error: (10, "item starting here is unterminated"))
    }

    func testJSONLinesAreTheNonBlankLines() throws {
        try check("", items: [])
        try check("   \n ", items: [])
        try check("{\"a\":1}\n{\"b\":2}\r\n\n   \n{\"c\":\"é\"}", items: ["{\"a\":1}", "{\"b\":2}", "{\"c\":\"é\"}"], lines: [1, 2, 5])
        try check("{\"a\":1}\n{broken\n", items: ["{\"a\":1}", "{broken"], lines: [1, 2])
        try check("\u{FEFF}{\"a\":\"[\"}\r\n  {\"b\":2}  \n", items: ["{\"a\":\"[\"}", "  {\"b\":2}  "], lines: [1, 2])
    }

    func testItemLargerThanTheBufferGrowsIt() throws {
        let big = "{\"conversations\":[],\"x\":\"" + String(repeating: "z\\\"{", count: 10_000) + "\"}"
        try check("[\(big),\(big)]", items: [big, big])
        try check("\(big)\n\(big)", items: [big, big], lines: [1, 2])
    }

    func testUnreadableAndNotJSON() throws {
        XCTAssertThrowsError(try PoolFramer(path: dir + "/nope.json")) {
            XCTAssertEqual($0 as? PoolError, .unreadable(path: self.dir + "/nope.json", reason: "No such file or directory"))
        }
        XCTAssertThrowsError(try PoolFramer(path: dir)) {
            XCTAssertEqual($0 as? PoolError, .unreadable(path: self.dir, reason: "is a directory"))
        }
        let (path, got) = try framing(Array("\u{FEFF}  \n x".utf8))
        XCTAssertEqual(got, Framing(format: nil, spans: [], error: .notJSON(path: path, byteOffset: 7)))
    }

    // MARK: random pools against independent oracles

    func testRandomPoolsAgainstFoundationAndLineSplit() throws {
        var fuzz = PoolFuzz(seed: 7)
        var arrays = 0, validArrays = 0, jsonl = 0
        for _ in 0..<400 {
            let bytes = fuzz.pool(items: fuzz.below(12))
            let (path, got) = try framing(bytes)
            let body = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes[3...]) : bytes
            let skip = bytes.count - body.count
            let first = body.firstIndex { !Self.isSpace($0) }
            switch first.map({ body[$0] }) {
            case UInt8(ascii: "["):
                arrays += 1
                XCTAssertEqual(got.format, .jsonArray)
                if try checkArray(body, skip: skip, got, path: path) { validArrays += 1 }
            case UInt8(ascii: "{"), nil:
                jsonl += 1
                XCTAssertEqual(got.format, .jsonLines)
                XCTAssertNil(got.error)
                XCTAssertEqual(got.spans, expectedLines(body, skip: skip), String(decoding: bytes, as: UTF8.self))
            default:
                XCTAssertEqual(got, Framing(format: nil, spans: [], error: .notJSON(path: path, byteOffset: skip + first!)))
            }
        }
        // The generator must reach every branch, or the properties above prove little.
        XCTAssertGreaterThan(validArrays, 100)
        XCTAssertGreaterThan(arrays - validArrays, 20)
        XCTAssertGreaterThan(jsonl, 50)
    }

    /// Every line, less its line feed and one trailing carriage return, that holds more than whitespace.
    private func expectedLines(_ body: [UInt8], skip: Int) -> [Span] {
        var spans: [Span] = []
        var start = 0
        var lineNumber = 0
        while start < body.count {
            lineNumber += 1
            let newline = body[start...].firstIndex(of: 0x0A) ?? body.count
            var end = newline
            if end > start, body[end - 1] == 0x0D { end -= 1 }
            if body[start..<end].contains(where: { !Self.isSpace($0) }) {
                spans.append(Span(position: spans.count, offset: skip + start, bytes: Array(body[start..<end]), line: lineNumber))
            }
            start = newline + 1
        }
        return spans
    }

    /// When Foundation accepts the whole array, the framer must give its elements, each exactly the bytes
    /// between the array's punctuation; when it rejects it, the framer must throw or give an item that
    /// Foundation rejects on its own. Returns whether the array was valid.
    private func checkArray(_ body: [UInt8], skip: Int, _ got: Framing, path: String) throws -> Bool {
        let text = String(decoding: body, as: UTF8.self)
        for span in got.spans {
            let at = span.offset - skip
            XCTAssertEqual(Array(body[at..<at + span.bytes.count]), span.bytes, "offset of \(span) in \(text)")
            XCTAssertEqual(span.line, 0)
        }
        XCTAssertEqual(got.spans.map(\.position), Array(got.spans.indices))
        func parse(_ bytes: [UInt8]) -> Any? { try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed) }
        guard let whole = parse(body) as? [Any] else {
            let rejected = got.error != nil || got.spans.contains { parse($0.bytes) == nil }
            XCTAssertTrue(rejected, "framed an invalid array without complaint: \(text)")
            return false
        }
        XCTAssertNil(got.error, text)
        XCTAssertEqual(got.spans.count, whole.count, text)
        // Compared in a canonical serialisation: Foundation's values have no dependable `==` on Linux.
        func canonical(_ value: Any?) -> Data? {
            value.flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys, .fragmentsAllowed]) }
        }
        for (span, element) in zip(got.spans, whole) {
            let item = canonical(parse(span.bytes))
            XCTAssertNotNil(item, "\(span) in \(text)")
            XCTAssertEqual(item, canonical(element), "\(span) in \(text)")
        }
        // Between items only whitespace and the array's punctuation.
        var gaps: [[UInt8]] = []
        var last = 0
        for span in got.spans {
            gaps.append(Array(body[last..<span.offset - skip]))
            last = span.offset - skip + span.bytes.count
        }
        gaps.append(Array(body[last...]))
        let punctuation = gaps.map { $0.filter { !Self.isSpace($0) } }
        let expected: [[UInt8]] = got.spans.isEmpty
            ? [Array("[]".utf8)]
            : [Array("[".utf8)] + Array(repeating: Array(",".utf8), count: got.spans.count - 1) + [Array("]".utf8)]
        XCTAssertEqual(punctuation, expected, text)
        return true
    }
}
