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
    private func pairs(_ layer: any LinearLayer, k: Int? = nil) -> [(Range<Int>, [Float], [Float])] {
        let k = k ?? self.k
        let x = Tensor(shape: [rows, k], data: randoms(rows * k, seed: 1))
        let full = layer.forward(x)
        return ranges.map { ($0, layer.forward(x.rows($0)).data, full.rows($0).data) }
    }

    func testQuantizedLinear() {
        let layer = QuantizedLinear.quantizing(weight: randoms(n * k, seed: 2), bias: randoms(n, seed: 3), outFeatures: n, inFeatures: k)
        for (range, batch, whole) in pairs(layer) { XCTAssertEqual(batch, whole, "rows \(range)") }
    }

    /// A 7B-sized k (the AMX kernel cuts it into k blocks whose partial sums wait in the output, and leaves
    /// the rows past the last whole tile to the VNNI kernel) changes nothing.
    func testQuantizedLinearLongRows() {
        let k = 9000
        let layer = QuantizedLinear.quantizing(weight: randoms(n * k, seed: 2), bias: randoms(n, seed: 3), outFeatures: n, inFeatures: k)
        for (range, batch, whole) in pairs(layer, k: k) { XCTAssertEqual(batch, whole, "rows \(range)") }
    }

    /// fp32 Linear runs its own product (sgemm.c), whose outputs do not depend on their row's place.
    func testLinear() {
        let layer = Linear(weight: randoms(n * k, seed: 2), bias: randoms(n, seed: 3), outFeatures: n, inFeatures: k)
        for (range, batch, whole) in pairs(layer) { XCTAssertEqual(batch, whole, "rows \(range)") }
    }
}
