import Foundation
import Scorer
import Vision
import XCTest

/// Hostile headers get one clear error line and no large allocation: image dimensions are checked against the
/// pixel cap before any pixel memory exists (the C shim's mmssr_image_admit), and JSON nesting stops at the
/// parser's depth limit (a recursion 100000 deep would overflow the stack).
final class MaliciousInputTests: XCTestCase {
    func testPNGClaiming100000x100000IsRefusedBeforeDecoding() throws {
        let png = Self.png(width: 100_000, height: 100_000)
        XCTAssertThrowsError(try ImageDecoder.decode(data: png, name: "huge.png")) { error in
            let line = "\(error)"
            XCTAssertTrue(line.contains("100000") && !line.contains("\n"), line)
            guard case .tooLarge(let w, let h, _) = (error as? ImageError)?.kind else {
                return XCTFail("expected tooLarge, got \(error)")
            }
            XCTAssertEqual([w, h], [100_000, 100_000])
        }
    }

    func testJPEGClaiming60000x60000IsRefusedBeforeDecoding() throws {
        // 60000 x 60000: under libjpeg's own 65500 limit, 36x over the 100-megapixel cap.
        XCTAssertThrowsError(try ImageDecoder.decode(data: Self.jpeg(width: 60000, height: 60000), name: "huge.jpg")) { error in
            guard case .tooLarge(let w, let h, _) = (error as? ImageError)?.kind else {
                return XCTFail("expected tooLarge, got \(error)")
            }
            XCTAssertEqual([w, h], [60000, 60000])
            XCTAssertFalse("\(error)".contains("\n"))
        }
    }

    /// The framer finds an item's end with an iterative scanner (no depth to overflow); the parser stops at its
    /// depth limit. Deep nesting in a field the decoder reads, and in one it skips, at 600 and 100000 levels:
    /// a one-line error, or the item without the junk, never a crash.
    func testPoolNestedDeepIsAnErrorOrSkippedNotAStackOverflow() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deep-\(getpid()).json").path
        defer { unlink(path) }
        for levels in [600, 100_000] {
            let deep = String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
            for item in ["{\"id\": \"x\", \"conversations\": [{\"from\": \"human\", \"value\": \(deep)}]}",
                         "{\"id\": \"x\", \"extra\": \(deep), \"conversations\": []}"] {
                try Data(("[" + item + "]").utf8).write(to: URL(fileURLWithPath: path))
                do {
                    let reader = try PoolReader(path: path)
                    while try reader.next() != nil {}
                } catch {
                    XCTAssertFalse("\(error)".contains("\n"), "\(levels) levels: \(error)")
                }
            }
        }
    }

    func testDocumentNestedDeeperThanTheLimitIsAnError() {
        XCTAssertThrowsError(try JSONParser.parseDocument(Array((String(repeating: "[", count: 600) + String(repeating: "]", count: 600)).utf8))) {
            XCTAssertTrue("\($0)".contains("nesting deeper than"), "\($0)")
        }
    }

    func testDocumentNested100000DeepIsAnError() {
        let deep = Array(String(repeating: "{\"a\":", count: 100_000).utf8) + [UInt8(ascii: "1")]
            + Array(repeating: UInt8(ascii: "}"), count: 100_000)
        XCTAssertThrowsError(try JSONParser.parseDocument(deep))
    }

    /// A PNG signature and IHDR (8-bit RGB) declaring the given size, a token IDAT (libpng reads the header up
    /// to the first IDAT), then IEND.
    static func png(width: UInt32, height: UInt32) -> [UInt8] {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return be32(UInt32(body.count)) + typed + be32(crc32(typed))
        }
        let ihdr = be32(width) + be32(height) + [8, 2, 0, 0, 0]
        return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
            + chunk("IEND", [])
    }

    /// A baseline JPEG header (one quantisation table, SOF0 with three components, SOS) declaring the size, then
    /// a few entropy-coded bytes and EOI: libjpeg-turbo supplies the standard Huffman tables.
    static func jpeg(width: UInt16, height: UInt16) -> [UInt8] {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        var out: [UInt8] = [0xFF, 0xD8]
        out += [0xFF, 0xDB] + be16(67) + [0] + Array(repeating: 1, count: 64)
        out += [0xFF, 0xC0] + be16(17) + [8] + be16(height) + be16(width) + [3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]
        out += [0xFF, 0xDA] + be16(12) + [3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]
        return out + [0x00, 0x00, 0x00, 0xFF, 0xD9]
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            crc ^= UInt32(b)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
