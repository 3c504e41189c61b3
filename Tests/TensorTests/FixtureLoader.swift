import Foundation
import XCTest

/// Reads a committed reference fixture (see tools/) from the test bundle.
func loadFixture(_ name: String) throws -> [String: Any] {
    let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil), "missing fixture \(name)")
    return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
}

extension Dictionary where Key == String, Value == Any {
    func floats(_ key: String) -> [Float] { (self[key] as! [NSNumber]).map(\.floatValue) }
    func ints(_ key: String) -> [Int] { (self[key] as! [NSNumber]).map(\.intValue) }
    func int(_ key: String) -> Int { (self[key] as! NSNumber).intValue }
    func double(_ key: String) -> Double { (self[key] as! NSNumber).doubleValue }
    func dict(_ key: String) -> [String: Any] { self[key] as! [String: Any] }
}

/// max|a - b| / max|b|: the norm-wise relative error used for every op against numpy.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "length \(a.count) vs \(b.count)")
    let diff = zip(a, b).map { abs($0 - $1) }.max() ?? 0
    let scale = b.map(abs).max() ?? 0
    return scale == 0 ? diff : diff / scale
}
