import Foundation
import XCTest
import Vision

final class ResizeTests: XCTestCase {
    /// Largest per-byte difference and how many bytes differ.
    static func compare(_ a: RGBImage, _ b: RGBImage) -> (maxDiff: Int, differing: Int) {
        precondition(a.width == b.width && a.height == b.height)
        var maxDiff = 0, differing = 0
        for (x, y) in zip(a.pixels, b.pixels) where x != y {
            maxDiff = max(maxDiff, abs(Int(x) - Int(y)))
            differing += 1
        }
        return (maxDiff, differing)
    }

    /// Pillow's bicubic resize on photos (640x480, 300x400, a real-world 427x640 JPEG) and on
    /// synthetic sources of 63 shapes: extreme aspect ratios (1x5000, 5000x1, 3x2000...), near-identity
    /// (223, 225 on one axis), upscales from 1x1, and random sizes to random small targets over noise.
    /// Tolerance: max 1 on the 0-255 scale on every case (the worst case counts, not the mean). On
    /// x86-64 the arithmetic is Pillow's own, so every byte must match exactly there.
    func testMatchesPillowOnEveryCase() throws {
        let fixtures = try ImageFixtures.load()
        XCTAssertGreaterThan(fixtures.resize.count, 60)
        var worst = 0, exactCases = 0
        for case_ in fixtures.resize {
            let source: RGBImage
            if let name = case_.source {
                source = try ImageDecoder.decode(path: try ImageFixtures.path(name))
            } else {
                let p = try XCTUnwrap(case_.pattern)
                source = testPattern(width: p.width, height: p.height, seed: p.seed, smooth: p.smooth)
            }
            let reference = try ImageDecoder.decode(path: try ImageFixtures.path(case_.reference))
            XCTAssertEqual(fnv1a64(reference.pixels), case_.fnv, "reference \(case_.reference) decoded wrongly")
            let got = BicubicResize.resize(source, width: case_.width, height: case_.height)
            XCTAssertEqual(got.width, case_.width)
            XCTAssertEqual(got.height, case_.height)
            let (maxDiff, differing) = Self.compare(got, reference)
            XCTAssertLessThanOrEqual(maxDiff, 1, "\(case_.reference): \(differing) bytes differ")
            worst = max(worst, maxDiff)
            if differing == 0 { exactCases += 1 }
        }
        #if arch(x86_64)
        XCTAssertEqual(exactCases, fixtures.resize.count, "worst difference \(worst)")
        #endif
    }

    func testSameSizeIsIdentity() {
        let image = testPattern(width: 224, height: 224, seed: 9, smooth: false)
        XCTAssertEqual(BicubicResize.resize(image, width: 224, height: 224), image)
    }

    /// Resizing one axis leaves the other untouched: a pure vertical resample of a 1-pixel-wide column
    /// equals resampling each column of a wider image separately.
    func testAxesAreSeparable() {
        let wide = testPattern(width: 5, height: 300, seed: 3, smooth: false)
        let resized = BicubicResize.resize(wide, width: 5, height: 40)
        for x in 0..<5 {
            var column = [UInt8]()
            for y in 0..<300 { column += wide.pixels[(y * 5 + x) * 3 ..< (y * 5 + x) * 3 + 3] }
            let alone = BicubicResize.resize(RGBImage(width: 1, height: 300, pixels: column), width: 1, height: 40)
            for y in 0..<40 {
                XCTAssertEqual(Array(resized.pixels[(y * 5 + x) * 3 ..< (y * 5 + x) * 3 + 3]),
                               Array(alone.pixels[y * 3 ..< y * 3 + 3]))
            }
        }
    }
}

final class ResizePreprocessTests: XCTestCase {
    func testTensorIsCHWNormalisedResize() {
        let pre = ImagePreprocessor()
        let image = testPattern(width: 97, height: 61, seed: 5, smooth: false)
        let tensor = pre.tensor(image)
        XCTAssertEqual(tensor.shape, [3, 224, 224])
        let resized = pre.resize(image)
        let mean: [Double] = [0.485, 0.456, 0.406], std: [Double] = [0.229, 0.224, 0.225]
        var maxError = 0.0
        for c in 0..<3 {
            for y in stride(from: 0, to: 224, by: 7) {
                for x in stride(from: 0, to: 224, by: 5) {
                    let byte = Double(resized.pixels[(y * 224 + x) * 3 + c])
                    let expected = (byte / 255 - mean[c]) / std[c]
                    maxError = max(maxError, abs(Double(tensor.data[c * 224 * 224 + y * 224 + x]) - expected))
                }
            }
        }
        XCTAssertLessThan(maxError, 1e-6)
    }

    func testSizeAndStatisticsAreParameters() {
        let pre = ImagePreprocessor(size: 16, mean: [0.5, 0.25, 0], std: [0.5, 0.25, 1])
        let image = RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 0, 255, 102])
        let tensor = pre.tensor(image)
        XCTAssertEqual(tensor.shape, [3, 16, 16])
        let values = pre.pixelValues(image)  // no resize: CHW of the 2x1 input
        XCTAssertEqual(values.count, 6)
        XCTAssertEqual(values[0], 1, accuracy: 1e-6)   // R of pixel 0: (1 - 0.5) / 0.5
        XCTAssertEqual(values[1], -1, accuracy: 1e-6)  // R of pixel 1: (0 - 0.5) / 0.5
        XCTAssertEqual(values[2], -1, accuracy: 1e-6)  // G of pixel 0: (0 - 0.25) / 0.25
        XCTAssertEqual(values[3], 3, accuracy: 1e-6)   // G of pixel 1
        XCTAssertEqual(values[4], 0.2, accuracy: 1e-6) // B of pixel 0: 51/255
        XCTAssertEqual(values[5], 0.4, accuracy: 1e-6)
    }
}
