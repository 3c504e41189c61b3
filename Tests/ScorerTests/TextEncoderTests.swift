import Foundation
import XCTest
import TestSupport
@testable import Scorer
@testable import Tensor

/// The MiniLM tower against a float64-accumulated numpy forward of the original safetensors
/// (tools/make_fixtures.py): cosine >= 0.99999 in fp32 and >= 0.999 in int8, all texts packed in one batch.
final class TextEncoderTests: XCTestCase {
    nonisolated(unsafe) static var encoders: (fp32: TextEncoder, int8: TextEncoder)?

    func encoders() throws -> (fp32: TextEncoder, int8: TextEncoder) {
        if Self.encoders == nil {
            Self.encoders = (try TextEncoder(file: GGUFFile(path: ModelPaths.require(ModelPaths.fp32))),
                             try TextEncoder(file: GGUFFile(path: ModelPaths.require(ModelPaths.int8))))
        }
        return Self.encoders!
    }

    func reference() throws -> [(text: String, ids: [Int32], embedding: [Float])] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/minilm_reference.json", withExtension: nil))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let items = try XCTUnwrap(json["items"] as? [[String: Any]])
        return items.map { item in
            ((item["text"] as? String) ?? "", (item["ids"] as! [NSNumber]).map(\.int32Value),
             (item["embedding"] as! [NSNumber]).map(\.floatValue))
        }
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).map(*).reduce(0, +)
        return dot / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
    }

    func testEmbeddingsMatchReferenceInBothPrecisions() throws {
        let items = try reference()
        XCTAssertGreaterThan(items.count, 10)
        let (fp32, int8) = try encoders()
        let a = fp32.embed(items.map(\.ids)), b = int8.embed(items.map(\.ids))
        XCTAssertEqual(a.shape, [items.count, 384])
        for (i, item) in items.enumerated() {
            XCTAssertGreaterThanOrEqual(cosine(a.row(i), item.embedding), 0.99999, "fp32: \(item.text.prefix(40))")
            XCTAssertGreaterThanOrEqual(cosine(b.row(i), item.embedding), 0.999, "int8: \(item.text.prefix(40))")
            XCTAssertEqual(a.row(i).map { $0 * $0 }.reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    /// ../shared/reference/minilm_golden.json: "A man is eating food." and its neighbours.
    func testGoldenValues() throws {
        let fp32 = try encoders().fp32
        let e = fp32.embed([[101, 1037, 2158, 2003, 5983, 2833, 1012, 102],
                            [101, 1037, 2158, 2003, 5983, 1037, 3538, 1997, 7852, 1012, 102],
                            [101, 1037, 4946, 2003, 2635, 2125, 2013, 1996, 9271, 1012, 102]])
        let first8: [Float] = [0.033242, 0.004406, -0.006277, 0.048379, -0.138702, -0.033617, 0.101128, -0.054385]
        for (g, w) in zip(e.row(0).prefix(8), first8) { XCTAssertEqual(g, w, accuracy: 2e-6) }
        XCTAssertEqual(Double(cosine(e.row(0), e.row(1))), 0.7553370668064343, accuracy: 1e-5)
        XCTAssertEqual(Double(cosine(e.row(0), e.row(2))), 0.02646766786975404, accuracy: 1e-5)
    }

    /// Packing texts of different lengths into one batch gives each text the embedding it gets alone.
    func testBatchEqualsOneByOne() throws {
        let items = try reference().prefix(5)
        let fp32 = try encoders().fp32
        let batch = fp32.embed(items.map(\.ids))
        for (i, item) in items.enumerated() {
            let alone = fp32.embed([item.ids])
            XCTAssertGreaterThan(cosine(alone.row(0), batch.row(i)), 0.999999)
        }
        XCTAssertEqual(fp32.embed([[]]).data, [Float](repeating: 0, count: 384))
    }
}
