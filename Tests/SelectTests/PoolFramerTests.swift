import Foundation
import XCTest
import Scorer
@testable import Select

/// `PoolFramer` must cut a pool into exactly the items `PoolReader` yields, and fail with the same error.
final class PoolFramerTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "select-framer-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(atPath: dir) }
    }

    private struct Framing: Equatable {
        var spans: [[Int]] = []
        var error: PoolError?
    }

    private func viaReader(_ path: String, chunk: Int) -> Framing {
        var f = Framing()
        do {
            let reader = try PoolReader(path: path, options: .init(keepRaw: false, conversations: false, chunkSize: chunk))
            while let item = try reader.next() { f.spans.append([item.position, item.byteOffset, item.byteLength]) }
        } catch {
            f.error = error
        }
        return f
    }

    private func viaFramer(_ path: String, chunk: Int) -> Framing {
        var f = Framing()
        do {
            let framer = try PoolFramer(path: path, chunkSize: chunk)
            while let item = try framer.next() { f.spans.append([item.position, item.byteOffset, item.bytes.count]) }
        } catch {
            f.error = error
        }
        return f
    }

    private func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = dir + "/pool.json"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let expected = viaReader(path, chunk: 1 << 20)
        for chunk in [64, 97, 4096, 1 << 20] {
            XCTAssertEqual(viaFramer(path, chunk: chunk), expected, "chunk \(chunk): \(String(decoding: bytes, as: UTF8.self))", file: file, line: line)
        }
    }

    func testHandWrittenPools() throws {
        let pools = [
            #"[{"a":"x\"]},{"}, {"b":["]","\\"]}, {"c":{"d":{"e":"中文😀"}}}]"#,
            "[]", "  [ ]  ", "", "   \n ", "[", "[{\"a\":1}", "[{\"a\":1},]", "[,{\"a\":1}]", "[{\"a\":1} {\"b\":2}]",
            "[{\"a\":1}] x", "[{\"a\":\"unterminated}]", "[1, \"two\", true, null, [3]]", "x", "\u{FEFF}[{}]",
            "{\"a\":1}\n{\"b\":2}\r\n\n   \n{\"c\":\"é\"}", "{\"a\":1}\n{broken\n", "[{\"a\":1}]]", "[}]",
            "[{\"s\":\"" + String(repeating: "\\\"", count: 40) + String(repeating: "y", count: 300) + "\"}]",
        ]
        for p in pools { try check(Array(p.utf8)) }
    }

    func testRandomPoolsMatchPoolReader() throws {
        var fuzz = PoolFuzz(seed: 7)
        for _ in 0..<300 { try check(fuzz.pool(items: fuzz.below(12))) }
    }

    func testItemLargerThanTheBufferGrowsIt() throws {
        let big = "{\"conversations\":[],\"x\":\"" + String(repeating: "z\\\"{", count: 10_000) + "\"}"
        try check(Array("[\(big),\(big)]".utf8))
    }

    func testUnreadableAndNotJSON() throws {
        XCTAssertThrowsError(try PoolFramer(path: dir + "/nope.json")) {
            guard case .unreadable? = $0 as? PoolError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try PoolFramer(path: dir)) {
            XCTAssertEqual($0 as? PoolError, .unreadable(path: self.dir, reason: "is a directory"))
        }
        try check(Array("  \n x".utf8))
    }
}
