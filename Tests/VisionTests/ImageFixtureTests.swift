import Foundation
import XCTest
import Vision

/// The fixtures written by tools/make_image_fixtures.py, with Pillow's verdict on each.
struct ImageFixtures: Decodable {
    struct Decoded: Decodable { let width: Int; let height: Int; let fnv: String }
    struct Truncation: Decodable {
        let file: String
        /// `[cut, fnv-or-null]`: Pillow's outcome on the first `cut` bytes.
        let cuts: [Cut]
    }
    struct Cut: Decodable {
        let length: Int
        let fnv: String?
        init(from decoder: Decoder) throws {
            var c = try decoder.unkeyedContainer()
            length = try c.decode(Int.self)
            fnv = try c.decodeIfPresent(String.self)
        }
    }
    struct Pattern: Decodable { let width: Int; let height: Int; let seed: UInt64; let smooth: Bool }
    struct Resize: Decodable {
        let source: String?
        let pattern: Pattern?
        let width: Int
        let height: Int
        let reference: String
        let fnv: String
    }

    let decode: [String: Decoded]
    let errors: [String: String]
    let truncation: [Truncation]
    let resize: [Resize]

    static func directory() throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/images", withExtension: nil), "missing Fixtures/images").path
    }

    static func load() throws -> ImageFixtures {
        let data = try Data(contentsOf: URL(fileURLWithPath: try directory() + "/manifest.json"))
        return try JSONDecoder().decode(ImageFixtures.self, from: data)
    }

    static func path(_ name: String) throws -> String { try directory() + "/" + name }
}

/// FNV-1a 64, as in the fixture script: a compact fingerprint of decoded pixels.
func fnv1a64(_ bytes: [UInt8]) -> String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    let hex = String(h, radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
}

/// The synthetic resize source of the fixture script's `pattern()`, reproduced exactly. The script's
/// 64-bit products are masked to 32 bits, so 32-bit wrapping arithmetic gives the same values.
func testPattern(width: Int, height: Int, seed: UInt64, smooth: Bool) -> RGBImage {
    var pixels = [UInt8](repeating: 0, count: width * height * 3)
    let seedTerm = UInt32(truncatingIfNeeded: seed &* 2_654_435_761)
    let xs = (0..<width).map { UInt32(truncatingIfNeeded: $0 &* 73_856_093) }
    let cs = (0..<3).map { UInt32(truncatingIfNeeded: $0 &* 83_492_791) }
    pixels.withUnsafeMutableBufferPointer { out in
        var i = 0
        for y in 0..<height {
            let ys = UInt32(truncatingIfNeeded: y &* 19_349_663) ^ seedTerm
            for x in 0..<width {
                for c in 0..<3 {
                    if smooth {
                        out[i] = UInt8(truncatingIfNeeded: x &* 5 &+ y &* 3 &+ c &* 40 &+ Int(seed))
                    } else {
                        var v = xs[x] ^ ys ^ cs[c]
                        v = (v ^ (v >> 13)) &* 0x5BD1_E995
                        out[i] = UInt8(truncatingIfNeeded: v ^ (v >> 15))
                    }
                    i += 1
                }
            }
        }
    }
    return RGBImage(width: width, height: height, pixels: pixels)
}

final class ImageFixtureTests: XCTestCase {
    /// Every file in the fixture folder is checked by some test: none is silently ignored.
    func testManifestCoversEveryFixture() throws {
        let fixtures = try ImageFixtures.load()
        var covered = Set(fixtures.decode.keys).union(fixtures.errors.keys)
        covered.formUnion(fixtures.resize.map(\.reference))
        covered.insert("manifest.json")
        let files = try FileManager.default.contentsOfDirectory(atPath: try ImageFixtures.directory())
        XCTAssertEqual(Set(files).subtracting(covered), [], "fixtures no test looks at")
        XCTAssertEqual(covered.subtracting(files), [], "fixtures the manifest names but the folder lacks")
        XCTAssertGreaterThan(fixtures.decode.count, 40)
    }
}
