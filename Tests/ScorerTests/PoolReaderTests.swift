import Foundation
import XCTest
@testable import Scorer

final class PoolReaderTests: XCTestCase {
    private func file(_ text: String, _ ext: String = "json") throws -> String {
        let path = NSTemporaryDirectory() + "pool-\(UUID().uuidString).\(ext)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    private func readAll(_ path: String, chunk: Int = 1 << 20) throws -> (items: [PoolItem], error: PoolError?) {
        let reader = try PoolReader(path: path, options: .init(chunkSize: chunk))
        var items: [PoolItem] = []
        do {
            while let item = try reader.next() { items.append(item) }
        } catch {
            return (items, error)
        }
        return (items, nil)
    }

    private let conv = #""conversations":[{"from":"human","value":"<image>\nWhat?"},{"from":"gpt","value":"Yes"}]"#

    func testArrayFieldsDefaultsAndVerbatimBytes() throws {
        let first = #"{"id":"a","image":"geo170k(qa)/9177_13.jpg",\#(conv),"extra":{"k":[1,2]}}"#
        let second = #"{"idx":42,"image":["coco/1.jpg","vg/2.jpg"],"image_source":"mine",\#(conv)}"#
        let third = #"{"id":"t","conversations":[]}"#
        let path = try file("[\n  \(first),\n\(second) ,\(third)]\n")
        for chunk in [1, 3, 7, 1 << 20] {
            let (items, error) = try readAll(path, chunk: chunk)
            XCTAssertNil(error)
            XCTAssertEqual(items.count, 3)
            XCTAssertEqual(items[0].idx, 0)
            XCTAssertEqual(items[0].id, "a")
            XCTAssertEqual(items[0].images, ["geo170k(qa)/9177_13.jpg"])
            XCTAssertEqual(items[0].imageSource, "geo170k(qa)")
            XCTAssertEqual(items[0].conversations, [Turn(from: "human", value: "<image>\nWhat?"), Turn(from: "gpt", value: "Yes")])
            XCTAssertEqual(items[0].raw.map { String(decoding: $0, as: UTF8.self) }, first)
            XCTAssertEqual(items[0].byteOffset, 4)
            XCTAssertEqual(items[1].idx, 42)
            XCTAssertEqual(items[1].images, ["coco/1.jpg", "vg/2.jpg"])
            XCTAssertEqual(items[1].imageSource, "mine")
            XCTAssertEqual(items[1].raw.map { String(decoding: $0, as: UTF8.self) }, second)
            XCTAssertEqual(items[2].idx, 2)
            XCTAssertEqual(items[2].imageSource, "")
            XCTAssertTrue(items.allSatisfy { $0.parseError == nil })
        }
    }

    func testUnicodeEscapesAndStringsWithBrackets() throws {
        let item = #"{"id":"x]},{\"y","image":"中文/图.jpg","conversations":[{"from":"human","value":"\ud83d\ude00 é \u00e9 ]"}]}"#
        let path = try file("\u{FEFF}[" + item + "]")
        let (items, error) = try readAll(path, chunk: 2)
        XCTAssertNil(error)
        XCTAssertEqual(items.count, 1)
        XCTAssertEqual(items[0].id, "x]},{\"y")
        XCTAssertEqual(items[0].imageSource, "中文")
        XCTAssertEqual(items[0].conversations.first?.value, "😀 é é ]")
    }

    func testMalformedItemBecomesErrorAndStreamGoesOn() throws {
        let path = try file(#"[{"id":"a","conversations":[]}, {"id": }, {"idx":"seven","conversations":[]}, 3, {"id":"d","conversations":[]}]"#)
        let (items, error) = try readAll(path, chunk: 5)
        XCTAssertNil(error)
        XCTAssertEqual(items.map(\.position), [0, 1, 2, 3, 4])
        XCTAssertNil(items[0].parseError)
        XCTAssertEqual(items[1].parseError, "bad JSON at byte 39: invalid value")
        XCTAssertEqual(items[1].idx, 1)
        XCTAssertEqual(items[2].parseError, "item at byte 42: idx is not an integer")
        XCTAssertEqual(items[3].parseError, "bad JSON at byte 78: item is not a JSON object")
        XCTAssertNil(items[4].parseError)
        XCTAssertEqual(items[4].id, "d")
    }

    func testBrokenArrayThrowsAfterYieldingEarlierItems() throws {
        let unterminated = try file(#"[{"id":"a","conversations":[]}, {"id":"b","conversations":[]"#)
        let (items, error) = try readAll(unterminated, chunk: 4)
        XCTAssertEqual(items.map(\.id), ["a"])
        XCTAssertEqual(error, .brokenArray(path: unterminated, byteOffset: 32, reason: "item starting here is unterminated"))

        let missingComma = try file(#"[{"id":"a","conversations":[]} {"id":"b","conversations":[]}]"#)
        let (items2, error2) = try readAll(missingComma)
        XCTAssertEqual(items2.map(\.id), ["a"])
        XCTAssertEqual(error2, .brokenArray(path: missingComma, byteOffset: 31, reason: "expected ',' or ']' between items"))

        let noClose = try file(#"[{"id":"a","conversations":[]}"#)
        let (items3, error3) = try readAll(noClose)
        XCTAssertEqual(items3.count, 1)
        XCTAssertEqual(error3, .brokenArray(path: noClose, byteOffset: 30, reason: "unterminated array (missing ']')"))

        let trailing = try file(#"[] x"#)
        XCTAssertEqual(try readAll(trailing).error, .brokenArray(path: trailing, byteOffset: 3, reason: "data after the closing ']'"))
    }

    func testJSONLinesWithBadLineAndBlankLines() throws {
        let path = try file("{\"id\":\"a\",\"conversations\":[]}\r\n\n{\"id\":\n{\"idx\":9,\"image\":\"src/x.png\",\"conversations\":[]}", "jsonl")
        let (items, error) = try readAll(path, chunk: 3)
        XCTAssertNil(error)
        XCTAssertEqual(items.count, 3)
        XCTAssertEqual(items[0].id, "a")
        XCTAssertEqual(items[0].raw.map { String(decoding: $0, as: UTF8.self) }, "{\"id\":\"a\",\"conversations\":[]}")
        XCTAssertEqual(items[1].parseError, "line 3: bad JSON at byte 38: unexpected end of input")
        XCTAssertEqual(items[2].idx, 9)
        XCTAssertEqual(items[2].position, 2)
        XCTAssertEqual(items[2].imageSource, "src")
    }

    func testEmptyAndNonJSON() throws {
        XCTAssertEqual(try readAll(try file("[ ]")).items.count, 0)
        XCTAssertEqual(try readAll(try file("")).items.count, 0)
        let text = try file("hello")
        XCTAssertThrowsError(try PoolReader(path: text)) { XCTAssertEqual($0 as? PoolError, .notJSON(path: text, byteOffset: 0)) }
        XCTAssertThrowsError(try PoolReader(path: "/nonexistent/pool.json")) {
            XCTAssertEqual(($0 as? PoolError)?.description, "cannot read /nonexistent/pool.json: No such file or directory")
        }
    }

    func testIndexModeSkipsConversationsButKeepsRaw() throws {
        let path = try file(#"[{"idx":3,"image":"a/b.jpg",\#(conv)}]"#)
        let reader = try PoolReader(path: path, options: .index)
        let item = try XCTUnwrap(try reader.next())
        XCTAssertEqual(item.idx, 3)
        XCTAssertEqual(item.imageSource, "a")
        XCTAssertEqual(item.conversations, [])
        XCTAssertNotNil(item.raw)
        XCTAssertNil(try reader.next())
    }

    func testLargeGeneratedArrayStreamsInSmallChunks() throws {
        var text = "["
        for i in 0..<2000 {
            if i > 0 { text += "," }
            text += #"{"id":"s\#(i)","image":"src\#(i % 7)/\#(i).jpg","conversations":[{"from":"human","value":"q \#(i) \"quoted\" \\ ]"}]}"#
        }
        text += "]"
        let (items, error) = try readAll(try file(text), chunk: 4096)
        XCTAssertNil(error)
        XCTAssertEqual(items.count, 2000)
        XCTAssertEqual(items[1999].id, "s1999")
        XCTAssertEqual(items[1999].imageSource, "src4")
        XCTAssertEqual(items[1234].conversations.first?.value, "q 1234 \"quoted\" \\ ]")
    }

    /// One 50 MB answer (with escapes, so the parser's slow path runs) costs seconds, not minutes: the framer
    /// and parser are linear, and the text work is cut to what the text tower can read.
    func testAGiantStringItemIsReadAndPreparedInLinearTime() throws {
        let unit = #"word \"quoted\" ü\n x=1+2 "#
        let giant = String(repeating: unit, count: (50 << 20) / unit.utf8.count)
        let path = try file(#"[{"id":"big","conversations":[{"from":"human","value":"<image>\nWhat is it?"},{"from":"gpt","value":"\#(giant)"}]}, {"id":"small",\#(conv)}]"#)
        let clock = ContinuousClock()
        let started = clock.now
        let (items, error) = try readAll(path)
        XCTAssertNil(error)
        XCTAssertEqual(items.map(\.id), ["big", "small"])
        let answer = try XCTUnwrap(items.first?.conversations.last?.value)
        XCTAssertGreaterThan(answer.utf8.count, 40 << 20)
        let limit = SampleText.characterLimit(maxTokens: 128)
        let text = SampleText(conversations: items[0].conversations, characterLimit: limit)
        XCTAssertEqual(text.question, "What is it?")
        XCTAssertTrue((limit - 1...limit).contains(text.answer.count), "\(text.answer.count)")
        XCTAssertTrue(answer.hasPrefix(text.answer))
        let features = SurfaceFeatures.compute(text, rounds: 1)
        XCTAssertEqual(features.count, SurfaceFeatures.names.count)
        // A guard against a quadratic path coming back (it took minutes); linear work here is about a second.
        XCTAssertLessThan(clock.now - started, .seconds(30))
    }
}
