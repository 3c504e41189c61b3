import CBLAS
import XCTest
@testable import Tensor

/// `mmssr_sgemm`'s kernels (sgemm.c): every one must give the scalar twin's bits (one fmaf chain per output in
/// input order) on every shape, edge tiles included, and the product must be right (against a float64 sum).
final class SgemmKernelTests: XCTestCase {
    private func randoms(_ n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float(Double(rng.next() >> 40) / Double(1 << 24) * 2 - 1) }
    }

    private let kernels = [MMSSR_SG_SCALAR, MMSSR_SG_AVX2, MMSSR_SG_AVX512].map { Int32($0) }

    /// (rows, inputs, outputs): edge rows (tiles of 6), edge panels (16 and 32 columns), one and two panels,
    /// and the text tower's fc2 and the heads' shapes.
    private let shapes = [(1, 1, 1), (5, 37, 23), (7, 64, 16), (13, 33, 47), (6, 5, 48), (2, 1536, 384),
                          (31, 1536, 384), (9, 384, 78), (4, 384, 7)]

    func testKernelsGiveTheScalarTwinsBits() throws {
        let available = kernels.filter { mmssr_sgemm_available($0) != 0 }
        for (m, k, n) in shapes {
            let x = Tensor(shape: [m, k], data: randoms(m * k, seed: UInt64(m * 1000 + k)))
            for bias in [nil, randoms(n, seed: 7)] {
                let layer = Linear(weight: randoms(n * k, seed: UInt64(n)), bias: bias, outFeatures: n, inFeatures: k)
                let reference = layer.forward(x, kernel: Int32(MMSSR_SG_SCALAR)).data
                for kernel in available.dropFirst() {
                    XCTAssertEqual(layer.forward(x, kernel: kernel).data.map(\.bitPattern), reference.map(\.bitPattern),
                                   "kernel \(kernel) on \(m)x\(k)x\(n), bias \(bias != nil)")
                }
            }
        }
        if available.count < kernels.count { throw XCTSkip("this CPU runs kernels \(available) of \(kernels)") }
    }

    /// The scalar twin is the chain it claims: against float64 sums, within the chain's rounding (k ulps of the
    /// absolute sum bounds it; measured well under).
    func testProductMatchesFloat64() {
        for (m, k, n) in shapes {
            let x = randoms(m * k, seed: 1), w = randoms(n * k, seed: 2), b = randoms(n, seed: 3)
            for layout in [Linear.Layout.outIn, .inOut] {
                let layer = Linear(weight: w, bias: b, outFeatures: n, inFeatures: k, layout: layout)
                let y = layer.forward(Tensor(shape: [m, k], data: x)).data
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = Double(b[j]), magnitude = abs(Double(b[j]))
                        for t in 0..<k {
                            let wv = layout == .outIn ? w[j * k + t] : w[t * n + j]
                            sum += Double(x[i * k + t]) * Double(wv)
                            magnitude += abs(Double(x[i * k + t]) * Double(wv))
                        }
                        XCTAssertLessThanOrEqual(abs(Double(y[i * n + j]) - sum), Double(k + 1) * 6e-8 * magnitude,
                                                 "\(m)x\(k)x\(n) \(layout) [\(i), \(j)]")
                    }
                }
            }
        }
    }

    /// The same rows give the same bits on 1 and 2 threads, split by rows or by outputs.
    func testThreadCountAndSplitDoNotChangeBits() {
        let (k, n) = (1536, 384)
        let layer = Linear(weight: randoms(n * k, seed: 4), bias: randoms(n, seed: 5), outFeatures: n, inFeatures: k)
        let x = Tensor(shape: [64, k], data: randoms(64 * k, seed: 6))
        let serial = Parallel.serially { layer.forward(x) }
        XCTAssertEqual(layer.forward(x).data, serial.data)
        for range in [0..<2, 5..<11, 63..<64] {
            XCTAssertEqual(Parallel.serially { layer.forward(x.rows(range)) }.data, serial.rows(range).data, "rows \(range), 1 thread")
            XCTAssertEqual(layer.forward(x.rows(range)).data, serial.rows(range).data, "rows \(range)")
        }
    }
}
