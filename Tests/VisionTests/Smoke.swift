import XCTest

final class VisionTestsSmoke: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
