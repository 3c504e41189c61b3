import CBLAS
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

    private let (k, n, rows) = (37, 23, 150)
    private let ranges = [0..<1, 3..<8, 60..<130, 149..<150]

    /// (what the batch gave, what the whole input gave) for each of `ranges`.
    private func pairs(_ layer: any LinearLayer) -> [(Range<Int>, [Float], [Float])] {
        let x = Tensor(shape: [rows, k], data: randoms(rows * k, seed: 1))
        let full = layer.forward(x)
        return ranges.map { ($0, layer.forward(x.rows($0)).data, full.rows($0).data) }
    }

    func testQuantizedLinear() {
        let layer = QuantizedLinear.quantizing(weight: randoms(n * k, seed: 2), bias: randoms(n, seed: 3), outFeatures: n, inFeatures: k)
        for (range, batch, whole) in pairs(layer) { XCTAssertEqual(batch, whole, "rows \(range)") }
    }

    /// fp32 Linear is batch-independent exactly when OpenBLAS's kernels round rows alike wherever they sit
    /// (`mmssr_blas_rows_independent`; its AVX2 kernels do not on Zen 5). Either way the verdict is checked
    /// here on the layer itself, so the probe that `mmssr score` warns with cannot drift from the truth.
    func testLinear() throws {
        let layer = Linear(weight: randoms(n * k, seed: 2), bias: randoms(n, seed: 3), outFeatures: n, inFeatures: k)
        let results = pairs(layer)
        if mmssr_blas_rows_independent() != 0 {
            for (range, batch, whole) in results { XCTAssertEqual(batch, whole, "rows \(range)") }
        } else {
            XCTAssertTrue(results.contains { $0.1 != $0.2 }, "the probe says OpenBLAS rounds rows by position, yet Linear did not")
            throw XCTSkip("OpenBLAS's \(String(cString: openblas_get_corename())) kernels round rows by their place in the call on this CPU")
        }
    }
}
