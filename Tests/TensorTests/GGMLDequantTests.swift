import CBLAS
import Foundation
import TestSupport
import XCTest
@testable import Tensor

/// ggml's block formats against the `gguf` package's dequantize (tools/make_ggml_fixtures.py), bit for bit.
final class GGMLDequantTests: XCTestCase {
    func testEveryTypeEqualsGGUFPy() throws {
        let entries = try XCTUnwrap(try loadFixture("ggml_blocks.json")["types"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 10)
        for e in entries {
            let name = e["name"] as! String
            let type = try XCTUnwrap(GGMLType(rawValue: UInt32(e.int("type"))), name)
            let hex = Array((e["bytes"] as! String).utf8)
            let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(decoding: hex[$0 ..< $0 + 2], as: UTF8.self), radix: 16)! }
            let expected = e.ints("bits").map { UInt32($0) }
            XCTAssertTrue(Dequantize.reads(type), name)
            let values = try XCTUnwrap(bytes.withUnsafeBytes { Dequantize.floats($0, type: type, count: expected.count) }, name)
            let mismatches = zip(values, expected).filter { $0.0.bitPattern != $0.1 }.count
            XCTAssertEqual(mismatches, 0, "\(name): \(mismatches) of \(expected.count) values differ from gguf-py")
        }
    }

    func testRejectsPartialBlocksAndUnknownTypes() {
        let raw = [UInt8](repeating: 0, count: 34)
        raw.withUnsafeBytes { b in
            XCTAssertNil(Dequantize.floats(b, type: .q8_0, count: 16), "half a block")
            XCTAssertNil(Dequantize.floats(b, type: .q8_0, count: 64), "more values than bytes")
            XCTAssertNil(Dequantize.floats(b, type: .iq2_xxs, count: 256), "a type not read here")
        }
        XCTAssertFalse(Dequantize.reads(.q2_K))
    }

    /// The real 0.5B file: every tensor dequantises to finite values.
    func testEveryTensorOfTheQwen2FileDequantises() throws {
        let file = try GGUFFile(path: try ModelPaths.require(ModelPaths.qwen2))
        var types = Set<GGMLType>()
        for t in file.tensors {
            let v = try file.floats(tensor: t.name)
            XCTAssertEqual(v.count, t.elementCount, t.name)
            XCTAssertTrue(v.allSatisfy(\.isFinite), t.name)
            types.insert(t.type)
        }
        XCTAssertTrue(types.isSuperset(of: [.q5_0, .q8_0, .q6_K, .q4_K]), "types: \(types)")
    }
}
