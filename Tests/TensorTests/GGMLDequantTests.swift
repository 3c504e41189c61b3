import CBLAS
import Foundation
import XCTest
@testable import Tensor

/// Dequantisation against the `gguf` package (tools/make_ggml_fixtures.py): random blocks of every type,
/// compared bit for bit; the SIMD kernel against the scalar one; the real 0.5B file's rows.
final class GGMLDequantTests: XCTestCase {
    private func fixture(_ name: String) throws -> GGUFFile {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil), "missing fixture \(name)")
        return try GGUFFile(path: url.path)
    }

    private static let types: [GGMLType] = [.f32, .f16, .bf16, .i8, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K]

    /// Bit-equal: ggml's arithmetic is a fixed sequence of fp32 operations, reproduced exactly (no FMA).
    func testEveryTypeMatchesGGUFPackageBitForBit() throws {
        let file = try fixture("ggml_blocks.gguf")
        for type in Self.types {
            let t = try XCTUnwrap(file.info(type.name))
            XCTAssertEqual(t.type, type)
            let expected = try file.floats(tensor: type.name + ".expected")
            for kernel in [Int32(MMSSR_DK_SCALAR), Int32(MMSSR_DK_AVX512)] where mmssr_ggml_dequant_supported(kernel) != 0 {
                var got = [Float](repeating: .nan, count: t.elementCount)
                XCTAssertTrue(got.withUnsafeMutableBufferPointer { Dequantize.decode(file.rawBytes(t), type: type, into: $0, kernel: kernel) })
                XCTAssertEqual(got.map(\.bitPattern), expected.map(\.bitPattern), "\(type.name) kernel \(kernel)")
            }
            XCTAssertEqual(try file.floats(tensor: type.name).map(\.bitPattern), expected.map(\.bitPattern), type.name)
        }
    }

    /// SIMD vs scalar on raw random bytes (NaN and inf scales included) and odd block counts.
    func testSIMDMatchesScalarOnRandomBytes() throws {
        try XCTSkipIf(mmssr_ggml_dequant_supported(Int32(MMSSR_DK_AVX512)) == 0, "no AVX-512 here")
        var rng = SplitMix64(seed: 15)
        for type in Self.types {
            for blocks in [1, 3, 17] {
                let count = blocks * type.block.elements * (type.block.elements == 1 ? 19 : 1)
                let raw = (0..<type.byteCount(elements: count)!).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                var a = [Float](repeating: 0, count: count), b = a
                raw.withUnsafeBytes { r in
                    _ = a.withUnsafeMutableBufferPointer { Dequantize.decode(r, type: type, into: $0, kernel: Int32(MMSSR_DK_SCALAR)) }
                    _ = b.withUnsafeMutableBufferPointer { Dequantize.decode(r, type: type, into: $0, kernel: Int32(MMSSR_DK_AVX512)) }
                }
                for i in 0..<count where !(a[i].isNaN && b[i].isNaN) {
                    // F16C quiets signalling NaNs; otherwise the same bits.
                    XCTAssertEqual(a[i].bitPattern, b[i].bitPattern, "\(type.name) \(blocks) blocks, value \(i)")
                }
            }
        }
    }

    func testRowRangesAndUnknownTypes() throws {
        let file = try fixture("ggml_blocks.gguf")
        let t = try XCTUnwrap(file.info("Q4_K"))
        let all = try file.floats(tensor: "Q4_K"), cols = t.shape[1]
        var row = [Float](repeating: 0, count: 2 * cols)
        try row.withUnsafeMutableBufferPointer { try file.dequantize(tensor: "Q4_K", rows: 1..<3, into: $0) }
        XCTAssertEqual(row, Array(all[cols...]))
        XCTAssertThrowsError(try row.withUnsafeMutableBufferPointer { try file.dequantize(tensor: "Q4_K", rows: 2..<4, into: $0) })
        XCTAssertFalse(Dequantize.isSupported(.iq2_xs))
        var out = [Float](repeating: 0, count: 256)
        XCTAssertFalse([UInt8](repeating: 0, count: 74).withUnsafeBytes { r in out.withUnsafeMutableBufferPointer { Dequantize.decode(r, type: .iq2_xs, into: $0) } })
    }

    /// The real Qwen2.5-Coder-0.5B GGUF: every tensor decodes; first and last rows equal gguf's.
    func testQwen05BFile() throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = repository.appendingPathComponent("weights/cache/qwen2.5-coder-0.5b-instruct.gguf").path
        try XCTSkipUnless(FileManager.default.fileExists(atPath: path), "\(path) not fetched")
        let file = try GGUFFile(path: path)
        let rows = try fixture("qwen05b_rows.gguf")
        for t in file.tensors {
            let values = try file.floats(tensor: t.name)
            XCTAssertEqual(values.count, t.elementCount)
            guard let first = rows.info(t.name + ".first") else { continue }
            let cols = first.elementCount
            XCTAssertEqual(try rows.string("rows.\(t.name).type"), t.type.name)
            XCTAssertEqual(Array(values[..<cols]).map(\.bitPattern), try rows.floats(tensor: t.name + ".first").map(\.bitPattern), t.name)
            XCTAssertEqual(Array(values[(values.count - cols)...]).map(\.bitPattern), try rows.floats(tensor: t.name + ".last").map(\.bitPattern), t.name)
        }
    }
}
