import XCTest
import TestSupport
@testable import Tensor

/// Layers of the int8 file (SmoothQuant factors, per-row scales, per-token activations), run in int8 and
/// dequantised, against the same layers of the fp32 file on random inputs.
final class LayerLoadingTests: XCTestCase {
    func testInt8LayersFollowTheirDequantisedTwins() throws {
        let file = try GGUFFile(path: ModelPaths.require(ModelPaths.int8))
        let reference = try GGUFFile(path: ModelPaths.require(ModelPaths.fp32))
        var rng = SystemRandomNumberGenerator()
        for prefixes in [["v.blk.3.attn.q", "v.blk.3.attn.k", "v.blk.3.attn.v"], ["v.blk.3.mlp.fc2"], ["t.blk.0.attn.q", "t.blk.0.attn.k", "t.blk.0.attn.v"], ["t.blk.1.mlp.fc1"]] {
            let int8 = try file.linearLayer(prefixes, dequantize: false)
            let dequantized = try file.linearLayer(prefixes, dequantize: true)
            let fp32 = try reference.linearLayer(prefixes, dequantize: false)
            XCTAssertTrue(int8 is QuantizedLinear)
            XCTAssertTrue(dequantized is Linear && fp32 is Linear)
            let x = Tensor(shape: [37, int8.inFeatures], data: (0..<37 * int8.inFeatures).map { _ in Float.random(in: -2...2, using: &rng) })
            let want = fp32.forward(x).data
            // Bound: per-row int8 weights (steps of 1/254 of the smoothed row maximum) and per-token int8 activations;
            // over hundreds of terms the worst output error measures 1-2% of max|y|, so 3% fails only on a real defect.
            for (name, got) in [("int8", int8.forward(x).data), ("dequantized", dequantized.forward(x).data)] {
                let err = zip(got, want).map { abs($0 - $1) }.max()! / want.map(abs).max()!
                XCTAssertLessThan(err, 0.03, "\(prefixes[0]) \(name): relative error \(err)")
                XCTAssertGreaterThan(cosine(got, want), 0.999, "\(prefixes[0]) \(name)")
            }
        }
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map(*).reduce(0, +) / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
    }
}
