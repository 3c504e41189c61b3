import CBLAS
import Tensor
import XCTest

final class QuantizedLinearTests: XCTestCase {
    private let kernels = QuantizedLinear.Kernel.allCases.filter(\.isSupported)

    /// fp32 reference y = x W^T + b from OpenBLAS.
    private func sgemmReference(_ x: [Float], _ w: [Float], _ b: [Float], m: Int, k: Int, n: Int) -> [Float] {
        var y = [Float](repeating: 0, count: m * n)
        for r in 0..<m { for j in 0..<n { y[r * n + j] = b[j] } }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, x, Int32(k), w, Int32(k),
                    1, &y, Int32(n))
        return y
    }

    /// Against fp32 on random data. Per output the error has a hard bound: with x = x^ + dx, w = w^ + dw,
    /// |dx| <= sa/2 and |dw| <= sw/2 per element, |sum x w - sum x^ w^| <= sum(|x| sw/2 + |w| sa/2 + sa sw/4);
    /// fp32 accumulation adds far less than that (1e-5 relative slack). Statistically the rounding
    /// errors are independent and uniform, about 1/127/sqrt(12) of each row maximum, so the overall
    /// relative error of these roughly Gaussian rows (max ~3 sigma) is near 1%: 3% bounds it with room.
    func testMatchesFloatReferenceWithinQuantisationBound() {
        var rng = QGemmRandom(seed: 4)
        for (m, k, n) in [(1, 384, 384), (37, 130, 70), (70, 384, 200)] {
            let x = rng.activations(rows: m, cols: k)
            let w = (0..<n * k).map { _ in rng.normal(0.05) }
            let b = (0..<n).map { _ in rng.normal(1) }
            let want = sgemmReference(x, w, b, m: m, k: k, n: n)
            let wq = Quantization.quantizeRows(w, rows: n, cols: k)
            for kernel in kernels {
                let layer = QuantizedLinear.quantizing(weight: w, bias: b, outFeatures: n, inFeatures: k, kernel: kernel)
                let y = layer.forward(Tensor(shape: [m, k], data: x))
                XCTAssertEqual(y.shape, [m, n])
                var errSq: Double = 0, refSq: Double = 0
                for r in 0..<m {
                    let sa = (0..<k).map { abs(x[r * k + $0]) }.max()! / 127
                    for j in 0..<n {
                        let sw = wq.scales[j]
                        var bound: Float = 0
                        for c in 0..<k { bound += abs(x[r * k + c]) * sw / 2 + abs(w[j * k + c]) * sa / 2 + sa * sw / 4 }
                        let got = y.data[r * n + j], ref = want[r * n + j]
                        XCTAssertLessThanOrEqual(abs(got - ref), bound * 1.001 + 1e-5 * abs(ref) + 1e-6,
                                                 "\(kernel) y[\(r), \(j)] of \(m)x\(k)x\(n)")
                        errSq += Double((got - ref) * (got - ref))
                        refSq += Double((ref - b[j]) * (ref - b[j]))
                    }
                }
                XCTAssertLessThan((errSq / refSq).squareRoot(), 0.03, "\(kernel) relative error, \(m)x\(k)x\(n)")
            }
        }
    }

    /// With weights given as int8 + scales (the model file's form), the only error left is the
    /// activations': against the dequantised weights the bound drops to sum(|w^| sa / 2).
    func testStoredInt8WeightsOnlyAddActivationError() {
        var rng = QGemmRandom(seed: 5)
        let m = 11, k = 67, n = 19
        let x = rng.activations(rows: m, cols: k), w = rng.int8s(n * k)
        let scales = (0..<n).map { _ in Float(rng.int(1...100)) / 5000 }
        let wDeq = (0..<n * k).map { Float(w[$0]) * scales[$0 / k] }
        let want = sgemmReference(x, wDeq, [Float](repeating: 0, count: n), m: m, k: k, n: n)
        for kernel in kernels {
            let layer = QuantizedLinear(weight: w, scales: scales, bias: nil, outFeatures: n, inFeatures: k, kernel: kernel)
            let y = layer.forward(Tensor(shape: [m, k], data: x))
            for r in 0..<m {
                let sa = (0..<k).map { abs(x[r * k + $0]) }.max()! / 127
                for j in 0..<n {
                    let bound = (0..<k).reduce(Float(0)) { $0 + abs(wDeq[j * k + $1]) * sa / 2 }
                    XCTAssertLessThanOrEqual(abs(y.data[r * n + j] - want[r * n + j]), bound * 1.001 + 1e-5,
                                             "\(kernel) y[\(r), \(j)]")
                }
            }
        }
    }

    /// Kernels share the integer sums, so outputs differ only by fp32 rounding of the epilogue; the
    /// split across workers (by rows or by column panels), the one-step path's per-block buffers (on the
    /// stack, or on the heap for very wide rows), the two-step quantise/forward path and writing into a
    /// caller's buffer change nothing at all.
    func testKernelsThreadSplitsAndPhasesAgree() {
        var rng = QGemmRandom(seed: 6)
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        // (30, 8200, 16): rows so wide that a cache block of them outgrows the forward's stack buffer.
        for (m, k, n) in [(1, 100, 300), (5, 33, 129), (100, 48, 20), (130, 70, 200), (30, 8200, 16)] {
            let x = Tensor(shape: [m, k], data: rng.activations(rows: m, cols: k))
            let w = rng.int8s(n * k), scales = (0..<n).map { _ in Float(rng.int(1...100)) / 1000 }
            let b = (0..<n).map { _ in rng.normal(1) }
            var first: Tensor?
            for kernel in kernels {
                let layer = QuantizedLinear(weight: w, scales: scales, bias: b, outFeatures: n, inFeatures: k, kernel: kernel)
                Parallel.setThreads(1)
                let one = layer.forward(x)
                Parallel.setThreads(3)
                XCTAssertEqual(layer.forward(x), one, "\(kernel) 3 workers vs 1, \(m)x\(k)x\(n)")
                XCTAssertEqual(layer.forward(quantized: layer.quantize(x)), one, "\(kernel) two-step, \(m)x\(k)x\(n)")
                // A reused output buffer, holding another product's values, is overwritten everywhere.
                var reused = Tensor(shape: [m, n], data: (0..<m * n).map { Float($0) })
                layer.forward(x, into: &reused)
                XCTAssertEqual(reused, one, "\(kernel) into a reused buffer, \(m)x\(k)x\(n)")
                reused = Tensor(shape: [m, n], data: [Float](repeating: .nan, count: m * n))
                layer.forward(quantized: layer.quantize(x), into: &reused)
                XCTAssertEqual(reused, one, "\(kernel) two-step into a reused buffer, \(m)x\(k)x\(n)")
                guard let reference = first else { first = one; continue }
                for i in 0..<one.count {
                    XCTAssertEqual(one.data[i], reference.data[i], accuracy: 2e-6 * max(1, abs(reference.data[i])),
                                   "\(kernel) vs \(kernels[0]) at \(i), \(m)x\(k)x\(n)")
                }
            }
        }
    }

    /// SmoothQuant's fused input multiplier: the layer with `inputScale` equals the plain layer on inputs
    /// already multiplied, bit for bit, on both the one-step (row split) and two-step paths.
    func testInputScaleEqualsPrescaledInput() {
        var rng = QGemmRandom(seed: 7)
        for (m, k, n) in [(1, 100, 300), (130, 70, 200)] {
            let raw = rng.activations(rows: m, cols: k)
            let s = rng.channelScales(k)
            let scaled = Tensor(shape: [m, k], data: raw.indices.map { raw[$0] * s[$0 % k] })
            let w = rng.int8s(n * k), scales = (0..<n).map { _ in Float(rng.int(1...100)) / 1000 }
            for kernel in kernels {
                let plain = QuantizedLinear(weight: w, scales: scales, bias: nil, outFeatures: n, inFeatures: k, kernel: kernel)
                let smoothed = QuantizedLinear(weight: w, scales: scales, bias: nil, outFeatures: n, inFeatures: k,
                                               inputScale: s, kernel: kernel)
                let x = Tensor(shape: [m, k], data: raw)
                XCTAssertEqual(smoothed.forward(x), plain.forward(scaled), "\(kernel) \(m)x\(k)x\(n)")
                XCTAssertEqual(smoothed.forward(quantized: smoothed.quantize(x)), plain.forward(scaled), "\(kernel) two-step")
            }
        }
    }

    func testKernelChoiceFromEnvironment() throws {
        let saved = getenv("MMSSR_KERNEL").map { String(cString: $0) }
        defer {
            if let saved { setenv("MMSSR_KERNEL", saved, 1) } else { unsetenv("MMSSR_KERNEL") }
        }
        unsetenv("MMSSR_KERNEL")
        XCTAssertEqual(try QuantizedLinear.Kernel.fromEnvironment(), .best)
        setenv("MMSSR_KERNEL", "scalar", 1)
        XCTAssertEqual(try QuantizedLinear.Kernel.fromEnvironment(), .scalar)
        setenv("MMSSR_KERNEL", "fast", 1)
        XCTAssertThrowsError(try QuantizedLinear.Kernel.fromEnvironment()) { error in
            XCTAssertEqual("\(error)", "MMSSR_KERNEL=fast: unknown kernel (expected scalar, avx2, vnni or amx)")
        }
        for kernel in QuantizedLinear.Kernel.allCases where !kernel.isSupported {
            setenv("MMSSR_KERNEL", kernel.description, 1)
            XCTAssertThrowsError(try QuantizedLinear.Kernel.fromEnvironment())
        }
    }
}
