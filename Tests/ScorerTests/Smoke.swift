import XCTest

final class ScorerTestsSmoke: XCTestCase {
    func testBuilds() { XCTAssertTrue(true) }
}
