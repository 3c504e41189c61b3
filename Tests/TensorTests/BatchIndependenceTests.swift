import XCTest
@testable import Tensor

/// A row's result must not depend on which rows share its batch (bit for bit), or sharded scoring would differ
/// from a single process in the last bits.
final class BatchIndependenceTests: XCTestCase {
    func randoms(_ n: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    func testLayersGiveEachRowTheSameBitsInAnyBatch() {
        let (k, n, rows) = (37, 23, 150)
        let x = Tensor(shape: [rows, k], data: randoms(rows * k, seed: 1))
        let w = randoms(n * k, seed: 2), b = randoms(n, seed: 3)
        let layers: [any LinearLayer] = [
            Linear(weight: w, bias: b, outFeatures: n, inFeatures: k),
            QuantizedLinear.quantizing(weight: w, bias: b, outFeatures: n, inFeatures: k),
        ]
        for layer in layers {
            let full = layer.forward(x)
            for range in [0..<1, 3..<8, 60..<130, 149..<150] {
                XCTAssertEqual(layer.forward(x.rows(range)).data, full.rows(range).data, "\(type(of: layer)) rows \(range)")
            }
        }
    }
}
