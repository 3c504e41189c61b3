import CBLAS
import XCTest
@testable import Tensor

/// The fused attention kernels of Sources/CBLAS/attention.c: the scalar kernel against a float64 reference,
/// the AVX-512 and AVX2 kernels against the scalar one, on heads laid out as in the model (q, k, v of several heads
/// interleaved in each row; the output head a slice of wider rows).
/// Tolerance: norm-wise relative error <= 1e-5, as OpsTests (reductions in another order, a polynomial exp
/// with ~2e-7 relative error; a wrong index or mask errs by >1e-2).
final class AttentionKernelTests: XCTestCase {
    static let lengths = [1, 2, 7, 17, 31, 33, 49, 64, 257, 300]

    /// One head's problem: rows of `3 * heads * dim` holding q, k, v of `heads` heads; we run head 1.
    struct Head {
        let len: Int, dim: Int, heads = 3
        let qkv: [Float]
        var stride: Int { 3 * heads * dim }
        var outStride: Int { heads * dim }
        var offset: Int { dim }  // head 1

        init(len: Int, dim: Int, sigma: Float, seed: UInt64) {
            var random = QGemmRandom(seed: seed)
            self.len = len
            self.dim = dim
            qkv = (0..<len * 3 * 3 * dim).map { _ in random.normal(sigma) }
        }

        /// The kernel's output for head 1, and whether it left the other heads' columns alone.
        func run(_ kernel: Int32, scale: Float) -> (out: [Float], othersUntouched: Bool) {
            let sentinel: Float = 12345
            var out = [Float](repeating: sentinel, count: len * outStride)
            var scratch = [Float](repeating: .nan, count: mmssr_attention_scratch_floats(len, dim))
            qkv.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    let q = src.baseAddress! + offset
                    mmssr_attention_head(kernel, q, q + outStride, q + 2 * outStride, stride, len, dim, scale,
                                         dst.baseAddress! + offset, outStride, &scratch)
                }
            }
            var head = [Float](), untouched = true
            for i in 0..<len {
                for c in 0..<outStride {
                    if (offset..<offset + dim).contains(c) { head.append(out[i * outStride + c]) }
                    else if out[i * outStride + c] != sentinel { untouched = false }
                }
            }
            return (head, untouched)
        }

        /// softmax(scale q k^T) v in float64.
        func reference(scale: Float) -> [Float] {
            func at(_ row: Int, _ part: Int, _ c: Int) -> Double { Double(qkv[row * stride + part * outStride + offset + c]) }
            var out = [Float]()
            for i in 0..<len {
                let scores = (0..<len).map { j in Double(scale) * (0..<dim).reduce(0.0) { $0 + at(i, 0, $1) * at(j, 1, $1) } }
                let m = scores.max()!
                let e = scores.map { exp($0 - m) }
                let sum = e.reduce(0, +)
                for c in 0..<dim { out.append(Float((0..<len).reduce(0.0) { $0 + e[$1] * at($1, 2, c) } / sum)) }
            }
            return out
        }
    }

    func testScalarKernelMatchesFloat64() {
        for (len, dim) in [(1, 64), (7, 32), (31, 64), (64, 20), (257, 64)] {
            let head = Head(len: len, dim: dim, sigma: 1, seed: UInt64(len * 100 + dim))
            let scale = 1 / Float(dim).squareRoot()
            let (out, untouched) = head.run(Int32(MMSSR_AK_SCALAR), scale: scale)
            XCTAssertTrue(untouched, "len \(len) dim \(dim): wrote outside its head")
            let err = relativeError(out, head.reference(scale: scale))
            XCTAssertLessThanOrEqual(err, 1e-5, "len \(len) dim \(dim): relative error \(err)")
        }
    }

    func testAVX512KernelMatchesScalar() throws {
        try assertMatchesScalar(Int32(MMSSR_AK_AVX512), name: "AVX-512")
    }

    func testAVX2KernelMatchesScalar() throws {
        try assertMatchesScalar(Int32(MMSSR_AK_AVX2), name: "AVX2")
    }

    /// 32 and 64 are the models' head dims; 16, 48 and 80 reach the other tile shapes (AVX-512's P v tiles
    /// and 64-column chunking; AVX2's 16-column steps); 20 takes the scalar fallback. Lengths cross the
    /// AVX2 kernel's 16-key steps, 32-key chunks and 48-row tiles. The large sigma makes the softmax peaked and
    /// pushes exp into underflow.
    private func assertMatchesScalar(_ kernel: Int32, name: String) throws {
        try XCTSkipUnless(mmssr_attention_supported(kernel) != 0, "no \(name) on this CPU")
        for dim in [32, 64, 16, 48, 80, 20] {
            for len in Self.lengths {
                for sigma: Float in [1, 6] {
                    let head = Head(len: len, dim: dim, sigma: sigma, seed: UInt64(len * 1000 + dim))
                    let scale = 1 / Float(dim).squareRoot()
                    let simd = head.run(kernel, scale: scale)
                    let scalar = head.run(Int32(MMSSR_AK_SCALAR), scale: scale)
                    XCTAssertTrue(simd.othersUntouched, "\(name) len \(len) dim \(dim): wrote outside its head")
                    XCTAssertTrue(simd.out.allSatisfy(\.isFinite), "\(name) len \(len) dim \(dim): non-finite output")
                    let err = relativeError(simd.out, scalar.out)
                    XCTAssertLessThanOrEqual(err, 1e-5, "\(name) len \(len) dim \(dim) sigma \(sigma): relative error \(err)")
                }
            }
        }
    }

    /// The AMX bf16 kernel against the scalar one. Tolerance: norm-wise relative error <= 1e-2 at sigma 1
    /// (scores of the models' size): q, k, v and the weights are rounded to bf16 (relative 2^-9 each), measured
    /// ~3e-3; a wrong index, pair order or tile stride errs by >1e-1. Dims other than 32 and 64 take the fp32
    /// kernel, held to it as well.
    func testAMXBF16KernelMatchesScalar() throws {
        try XCTSkipUnless(mmssr_attention_supported(Int32(MMSSR_AK_AMX_BF16)) != 0, "no AMX-BF16 on this CPU")
        for dim in [32, 64, 16, 48] {
            for len in Self.lengths {
                let head = Head(len: len, dim: dim, sigma: 1, seed: UInt64(len * 1000 + dim + 7))
                let scale = 1 / Float(dim).squareRoot()
                let amx = head.run(Int32(MMSSR_AK_AMX_BF16), scale: scale)
                let scalar = head.run(Int32(MMSSR_AK_SCALAR), scale: scale)
                XCTAssertTrue(amx.othersUntouched, "len \(len) dim \(dim): wrote outside its head")
                XCTAssertTrue(amx.out.allSatisfy(\.isFinite), "len \(len) dim \(dim): non-finite output")
                let err = relativeError(amx.out, scalar.out)
                XCTAssertLessThanOrEqual(err, 1e-2, "len \(len) dim \(dim): relative error \(err)")
            }
        }
    }

    /// `multiHeadAttention` on head dims the SIMD kernels do not take (SigLIP-so400m's 72, and 18) runs them
    /// zero-padded to whole vectors: each head of two packed sequences against the scalar kernel, within 1e-5 in
    /// fp32 and 1e-2 in bf16 (18 pads to 32, which the AMX kernel takes), and only the head's own columns.
    func testOddHeadDimsRunPadded() {
        let heads = 3, lens = [300, 17]
        for dim in [72, 18] {
            let hidden = heads * dim, stride = 3 * hidden, tokens = lens.reduce(0, +)
            var random = QGemmRandom(seed: UInt64(dim))
            let qkv = Tensor(shape: [tokens, stride], data: (0..<tokens * stride).map { _ in random.normal(1) })
            let sequences = [0..<300, 300..<317], scale = 1 / Float(dim).squareRoot()
            var want = [Float](repeating: 0, count: tokens * hidden)
            var scratch = [Float](repeating: .nan, count: mmssr_attention_scratch_floats(300, dim))
            qkv.data.withUnsafeBufferPointer { src in
                want.withUnsafeMutableBufferPointer { dst in
                    for s in sequences {
                        for h in 0..<heads {
                            let q = src.baseAddress! + s.lowerBound * stride + h * dim
                            mmssr_attention_head(Int32(MMSSR_AK_SCALAR), q, q + hidden, q + 2 * hidden, stride, s.count, dim,
                                                 scale, dst.baseAddress! + s.lowerBound * hidden + h * dim, hidden, &scratch)
                        }
                    }
                }
            }
            for (precision, bound) in [(AttentionPrecision.fp32, Float(1e-5)), (.bf16, 1e-2)] {
                let got = multiHeadAttention(qkv: qkv, heads: heads, sequences: sequences, scale: scale, precision: precision)
                XCTAssertEqual(got.shape, [tokens, hidden])
                let err = relativeError(got.data, want)
                XCTAssertLessThanOrEqual(err, bound, "dim \(dim) \(precision): relative error \(err)")
            }
        }
    }

    /// `mmssr_attention_heads` (which prefetches each next head while running one) gives what one call per
    /// head gives, bit for bit, for every kernel, over heads of different lengths in one buffer.
    func testHeadsCallMatchesOneCallPerHead() {
        let (dim, heads, lens) = (64, 2, [257, 1, 17, 7, 64])
        let hidden = heads * dim, stride = 3 * hidden, tokens = lens.reduce(0, +)
        var random = QGemmRandom(seed: 99)
        let qkv = (0..<tokens * stride).map { _ in random.normal(1) }
        var scratch = [Float](repeating: .nan, count: mmssr_attention_scratch_floats(lens.max()!, dim))
        for kernel in [MMSSR_AK_SCALAR, MMSSR_AK_AVX512, MMSSR_AK_AMX_BF16, MMSSR_AK_AVX2].map(Int32.init)
        where mmssr_attention_supported(kernel) != 0 {
            var batched = [Float](repeating: 0, count: tokens * hidden), single = batched
            qkv.withUnsafeBufferPointer { src in
                batched.withUnsafeMutableBufferPointer { b in
                    single.withUnsafeMutableBufferPointer { o in
                        var tasks = [mmssr_attention_task](), start = 0
                        for len in lens {
                            for h in 0..<heads {
                                let q = src.baseAddress! + start * stride + h * dim
                                tasks.append(mmssr_attention_task(q: q, k: q + hidden, v: q + 2 * hidden,
                                                                  out: b.baseAddress! + start * hidden + h * dim, len: len))
                                mmssr_attention_head(kernel, q, q + hidden, q + 2 * hidden, stride, len, dim, 0.125,
                                                     o.baseAddress! + start * hidden + h * dim, hidden, &scratch)
                            }
                            start += len
                        }
                        mmssr_attention_heads(kernel, tasks, tasks.count, stride, dim, 0.125, hidden, &scratch)
                    }
                }
            }
            XCTAssertEqual(batched, single, "kernel \(kernel)")
        }
    }

    func testBalancedRangesCoverEveryTaskOnceInOrder() {
        for (costs, parts) in [([5, 5, 5, 5], 2), ([100, 1, 1, 1, 1], 4), ([0, 0, 0], 3), ([7], 8), ([], 3),
                               (Array(repeating: 66049, count: 48) + Array(repeating: 900, count: 12), 8)] {
            let ranges = balancedRanges(costs, parts: parts)
            XCTAssertEqual(ranges.flatMap { Array($0) }, Array(costs.indices), "\(costs) in \(parts)")
            XCTAssertTrue(ranges.allSatisfy { !$0.isEmpty })
        }
        XCTAssertEqual(balancedRanges([5, 5, 5, 5], parts: 2), [0..<2, 2..<4])
    }
}
