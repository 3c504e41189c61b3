import Foundation
import Tensor
import Vision
import XCTest

final class ImageDecoderTests: XCTestCase {
    /// Every decodable fixture (JPEG 4:2:0/4:2:2/4:4:4, progressive, grey, CMYK, EXIF-rotated; PNG of
    /// every colour type and depth, palettes with tRNS, interlaced; extreme shapes) is pixel-identical
    /// to Pillow's `convert("RGB")`.
    func testDecodeIsPixelExactAgainstPillow() throws {
        let fixtures = try ImageFixtures.load()
        var mismatches: [String] = []
        for (name, expected) in fixtures.decode.sorted(by: { $0.key < $1.key }) {
            do {
                let image = try ImageDecoder.decode(path: try ImageFixtures.path(name))
                if image.width != expected.width || image.height != expected.height || fnv1a64(image.pixels) != expected.fnv {
                    mismatches.append("\(name): got \(image.width)x\(image.height)")
                }
            } catch {
                mismatches.append("\(name): \(error)")
            }
        }
        XCTAssertEqual(mismatches, [])
    }

    func testBrokenAndUnsupportedFilesFailWithTheirKind() throws {
        let fixtures = try ImageFixtures.load()
        for (name, kind) in fixtures.errors.sorted(by: { $0.key < $1.key }) {
            let path = try ImageFixtures.path(name)
            XCTAssertThrowsError(try ImageDecoder.decode(path: path), name) { error in
                guard let error = error as? ImageError else { return XCTFail("\(name): untyped \(error)") }
                XCTAssertEqual(error.path, path)
                XCTAssertEqual(Self.kindName(error.kind), kind, "\(name): \(error)")
                XCTAssertTrue(error.description.hasPrefix(path + ": "), error.description)
                XCTAssertFalse(error.description.contains("\n"), error.description)
            }
        }
    }

    func testErrorMessagesNameTheProblem() throws {
        let cases: [(String, String)] = [
            ("animation.gif", "unsupported image format (GIF)"),
            ("photo.webp", "unsupported image format (WebP)"),
            ("photo.bmp", "unsupported image format (BMP)"),
            ("jpeg_12bit.jpg", "unsupported image format (12-bit JPEG)"),
            ("bm_text.jpg", "not an image (unrecognised file signature)"),
            ("empty.jpg", "empty file (0 bytes)"),
            ("text.jpg", "not an image (unrecognised file signature)"),
            ("truncated.jpg", "truncated JPEG (data ends before the image does)"),
            ("truncated.png", "truncated PNG (data ends before the image does)"),
            ("over_cap.jpg", "image too large (10001x10001 exceeds the 100000000-pixel limit)"),
            ("over_cap.png", "image too large (20000x6000 exceeds the 100000000-pixel limit)"),
        ]
        for (name, reason) in cases {
            let path = try ImageFixtures.path(name)
            XCTAssertThrowsError(try ImageDecoder.decode(path: path)) { error in
                XCTAssertEqual((error as? ImageError)?.reason, reason, name)
                XCTAssertEqual("\(error)", "\(path): \(reason)")
            }
        }
        XCTAssertThrowsError(try ImageDecoder.decode(path: try ImageFixtures.path("corrupt.jpg"))) { error in
            XCTAssertTrue((error as? ImageError)?.reason.hasPrefix("corrupt JPEG (") ?? false, "\(error)")
        }
    }

    func testMissingFileAndDirectory() throws {
        let missing = try ImageFixtures.path("no_such_file.jpg")
        XCTAssertThrowsError(try ImageDecoder.decode(path: missing)) { error in
            XCTAssertEqual(error as? ImageError, ImageError(.fileNotFound, path: missing))
            XCTAssertEqual("\(error)", "\(missing): file not found")
        }
        let folder = try ImageFixtures.directory()
        XCTAssertThrowsError(try ImageDecoder.decode(path: folder)) { error in
            guard case .unreadable = (error as? ImageError)?.kind else { return XCTFail("\(error)") }
        }
    }

    /// The cap is checked against the header, so it also applies to small files that declare a large
    /// size; at exactly the cap the image decodes.
    func testPixelCapUsesDeclaredSize() throws {
        let path = try ImageFixtures.path("jpeg_420.jpg")  // 61 x 45 = 2745 pixels
        XCTAssertEqual(try ImageDecoder.decode(path: path, maxPixels: 2745).width, 61)
        XCTAssertThrowsError(try ImageDecoder.decode(path: path, maxPixels: 2744)) { error in
            XCTAssertEqual((error as? ImageError)?.kind, .tooLarge(width: 61, height: 45, limit: 2744))
        }
        let png = try ImageFixtures.path("png_rgb.png")
        XCTAssertThrowsError(try ImageDecoder.decode(path: png, maxPixels: 10)) { error in
            guard case .tooLarge = (error as? ImageError)?.kind else { return XCTFail("\(error)") }
        }
    }

    /// Cutting a file anywhere gives Pillow's verdict: an error where Pillow raises, the same pixels
    /// where it succeeds (a PNG missing only its IEND).
    func testTruncationAtEveryCutMatchesPillow() throws {
        let fixtures = try ImageFixtures.load()
        XCTAssertEqual(fixtures.truncation.count, 3)
        for sweep in fixtures.truncation {
            let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try ImageFixtures.path(sweep.file))))
            for cut in sweep.cuts {
                let name = "\(sweep.file)[..<\(cut.length)]"
                let got: String?
                do {
                    got = fnv1a64(try ImageDecoder.decode(data: Array(data[..<cut.length]), name: name).pixels)
                } catch {
                    XCTAssertEqual(error.path, name)
                    got = nil
                }
                XCTAssertEqual(got, cut.fnv, name)
            }
        }
    }

    /// Random corruption never crashes, hangs or leaks a codec error out untyped.
    func testCorruptedBytesGiveImagesOrTypedErrors() throws {
        var rng = SplitMix64(seed: 42)
        for name in ["jpeg_420.jpg", "jpeg_progressive.jpg", "jpeg_cmyk.jpg", "png_rgba.png", "png_interlaced_rgb.png", "png_palette_4bit.png"] {
            let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try ImageFixtures.path(name))))
            var outcomes = (decoded: 0, failed: 0)
            for _ in 0..<150 {
                var data = original
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    // Keep the signature so the codec, not the sniffer, meets the damage.
                    let at = 8 + Int(rng.next() % UInt64(data.count - 8))
                    data[at] = UInt8(truncatingIfNeeded: rng.next())
                }
                do {
                    let image = try ImageDecoder.decode(data: data, name: name, maxPixels: 1 << 20)
                    XCTAssertEqual(image.pixels.count, image.width * image.height * 3)
                    outcomes.decoded += 1
                } catch {
                    outcomes.failed += 1
                }
            }
            XCTAssertEqual(outcomes.decoded + outcomes.failed, 150)
        }
    }

    func testInMemoryDecodeMatchesFileDecode() throws {
        let path = try ImageFixtures.path("png_named.jpg")
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(try ImageDecoder.decode(data: data, name: "x"), try ImageDecoder.decode(path: path))
        XCTAssertThrowsError(try ImageDecoder.decode(data: [], name: "mem")) { error in
            XCTAssertEqual("\(error)", "mem: empty file (0 bytes)")
        }
    }

    static func kindName(_ kind: ImageError.Kind) -> String {
        switch kind {
        case .fileNotFound: "fileNotFound"
        case .unreadable: "unreadable"
        case .emptyFile: "emptyFile"
        case .fileTooLarge: "fileTooLarge"
        case .notAnImage: "notAnImage"
        case .unsupportedFormat: "unsupportedFormat"
        case .truncated: "truncated"
        case .corrupt: "corrupt"
        case .tooLarge: "tooLarge"
        case .outOfMemory: "outOfMemory"
        }
    }
}
