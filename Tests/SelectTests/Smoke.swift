import XCTest

final class SelectTestsSmoke: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
