import Foundation
import XCTest
@testable import Tensor

final class SafetensorsTests: XCTestCase {
    func testReadsFileWrittenBySafetensorsPackage() throws {
        let path = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/small.safetensors", withExtension: nil)).path
        let file = try SafetensorsFile(path: path)
        let expected = try loadFixture("small_safetensors.json")
        XCTAssertEqual(Set(file.entries.keys), Set(expected.keys))
        for (name, value) in expected {
            let e = value as! [String: Any]
            XCTAssertEqual(file.entries[name]?.shape, e.ints("shape"))
            XCTAssertEqual(try file.floats(name), e.floats("values"), name)
        }
    }

    func testTruncatedFileNamesPathAndOffset() throws {
        let src = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/small.safetensors", withExtension: nil))
        let bytes = try Data(contentsOf: src)
        let path = NSTemporaryDirectory() + "mmssr-st-\(getpid()).safetensors"
        defer { try? FileManager.default.removeItem(atPath: path) }
        for cut in [0, 5, 20, bytes.count - 4] {
            try bytes.prefix(cut).write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafetensorsFile(path: path), "cut at \(cut)") { error in
                XCTAssertTrue("\(error)".contains(path), "\(error)")
            }
        }
    }
}
