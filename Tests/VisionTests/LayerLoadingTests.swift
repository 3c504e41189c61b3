@testable import Tensor
import TestSupport
import XCTest

/// Layers of the int8 file (SmoothQuant factors, per-row scales, per-token activations), run in int8 and
/// dequantised, against the same layers of the fp32 file and against each other on seeded random inputs.
final class LayerLoadingTests: XCTestCase {
    func testInt8LayersFollowTheirDequantisedTwins() throws {
        let file = try GGUFFile(path: ModelPaths.require(ModelPaths.int8))
        let reference = try GGUFFile(path: ModelPaths.require(ModelPaths.fp32))
        // Seeded so every run sees the same inputs; the bounds below hold with room over 40 seeds (measured).
        var rng = SplitMix64(seed: 1)
        for prefixes in [["v.blk.3.attn.q", "v.blk.3.attn.k", "v.blk.3.attn.v"], ["v.blk.3.mlp.fc2"], ["t.blk.0.attn.q", "t.blk.0.attn.k", "t.blk.0.attn.v"], ["t.blk.1.mlp.fc1"]] {
            let int8 = try file.linearLayer(prefixes, dequantize: false)
            let dequantized = try file.linearLayer(prefixes, dequantize: true)
            let fp32 = try reference.linearLayer(prefixes, dequantize: false)
            XCTAssertTrue(int8 is QuantizedLinear)
            XCTAssertTrue(dequantized is Linear && fp32 is Linear)
            for _ in 0..<8 {
                let x = Tensor(shape: [37, int8.inFeatures], data: (0..<37 * int8.inFeatures).map { _ in Float.random(in: -2...2, using: &rng) })
                let want = fp32.forward(x).data, twin = dequantized.forward(x).data, got = int8.forward(x).data
                // Weight rounding alone (the dequantised twin, fp32 arithmetic) reaches 3.1-3.4% of max|y| on
                // v.blk.3.mlp.fc2 and t.blk.1.mlp.fc1 for some uniform inputs (SmoothQuant widens those rows'
                // steps), so 5% holds int8 with room; a wrong scale, row or smoothing factor errs by over 10%.
                for (name, out) in [("int8", got), ("dequantized", twin)] {
                    let err = relativeError(out, want)
                    XCTAssertLessThan(err, 0.05, "\(prefixes[0]) \(name): relative error \(err)")
                    XCTAssertGreaterThan(cosine(out, want), 0.999, "\(prefixes[0]) \(name)")
                }
                // Against its twin, int8 adds only the per-token activation rounding: measured at most 2.05%.
                let err = relativeError(got, twin)
                XCTAssertLessThan(err, 0.03, "\(prefixes[0]) int8 vs its dequantised twin: relative error \(err)")
            }
        }
    }

    /// max |a - b| / max |b|.
    func relativeError(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map(*).reduce(0, +) / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
    }
}
