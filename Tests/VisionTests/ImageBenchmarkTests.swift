import Foundation
import XCTest
import Vision

final class ImageBenchmarkTests: XCTestCase {
    func testSyntheticInputIsA640x480JPEG() throws {
        let jpeg = ImageBenchmark.syntheticJPEG(seed: 3)
        XCTAssertEqual(Array(jpeg.prefix(3)), [0xFF, 0xD8, 0xFF])
        let image = try ImageDecoder.decode(data: jpeg, name: "synthetic")
        XCTAssertEqual([image.width, image.height], [640, 480])
        XCTAssertNotEqual(ImageBenchmark.syntheticJPEG(width: 32, height: 24, seed: 4), ImageBenchmark.syntheticJPEG(width: 32, height: 24, seed: 3))
    }

    func testRunCountsEveryImageOnEveryThread() throws {
        let jpegs = [ImageBenchmark.syntheticJPEG(width: 64, height: 48, seed: 1),
                     ImageBenchmark.syntheticJPEG(width: 48, height: 64, seed: 2)]
        let result = try ImageBenchmark.run(jpegs: jpegs, rounds: 3, threads: 2)
        XCTAssertEqual(result.images, 6)
        XCTAssertEqual(result.threads, 2)
        XCTAssertGreaterThan(result.seconds, 0)
        XCTAssertGreaterThan(result.decodeMilliseconds, 0)
        XCTAssertGreaterThan(result.preprocessMilliseconds, 0)
    }

    /// Prints throughput when MMSSR_IMAGE_BENCH is set (run with `-c release`); a no-op otherwise, so
    /// the suite stays fast and carries no timing assertions.
    func testReportThroughput() throws {
        guard ProcessInfo.processInfo.environment["MMSSR_IMAGE_BENCH"] != nil else { return }
        let synthetic = (0..<8).map { ImageBenchmark.syntheticJPEG(seed: UInt64($0)) }
        let photo = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try ImageFixtures.path("resize_src_astronaut_640x480.jpg"))))
        for (label, jpegs) in [("synthetic q90", synthetic), ("astronaut q75", [photo])] {
            for threads in [1, 2] {
                let r = try ImageBenchmark.run(jpegs: jpegs, rounds: 200 / jpegs.count, threads: threads)
                print(String(format: "%@ 640x480, %d thread(s): %.1f images/s (decode %.2f ms + preprocess %.2f ms)",
                             label, threads, r.imagesPerSecond, r.decodeMilliseconds, r.preprocessMilliseconds))
            }
        }
    }
}
