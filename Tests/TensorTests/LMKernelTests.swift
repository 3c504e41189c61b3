import CBLAS
import Foundation
import XCTest
@testable import Tensor

/// The language model's kernels (mmssr_lm.h): against float64 numpy (tools/make_lm_kernel_fixtures.py) and
/// the AVX-512 and AVX2 attention against their scalar twin.
final class LMKernelTests: XCTestCase {
    func testRMSNormMatchesNumpy() throws {
        let f = try loadFixture("lm_kernels.json").dict("rmsnorm")
        let rows = f.int("rows"), dim = f.int("dim")
        let x = f.floats("x"), w = f.floats("weight")
        var out = [Float](repeating: 0, count: x.count)
        mmssr_rmsnorm(x, dim, w, rows, dim, Float(f.double("eps")), &out, dim)
        XCTAssertLessThan(relativeError(out, f.floats("expected")), 1e-6)
    }

    func testRoPEMatchesTransformersFormula() throws {
        let f = try loadFixture("lm_kernels.json").dict("rope")
        let heads = f.int("heads"), hd = f.int("head_dim")
        let pos = f.ints("pos").map { Int32($0) }
        var inv = [Float](repeating: 0, count: hd / 2)
        mmssr_rope_inv_freq(Float(f.double("theta")), hd, &inv)
        var x = f.floats("x")
        mmssr_rope_neox(&x, heads * hd, pos.count, heads, hd, pos, inv)
        // fp32 angles at position 30000 carry ~30000 * 2^-24 rad of rounding: the bound transformers has too.
        XCTAssertLessThan(relativeError(x, f.floats("expected")), 2e-3)
        let early = pos.prefix(4).count * heads * hd
        XCTAssertLessThan(relativeError(Array(x.prefix(early)), Array(f.floats("expected").prefix(early))), 1e-5)
    }

    func testSiLUMulMatchesNumpy() throws {
        let f = try loadFixture("lm_kernels.json").dict("silu_mul")
        let rows = f.int("rows"), n = f.int("n")
        var out = [Float](repeating: 0, count: rows * n)
        mmssr_silu_mul(f.floats("gate"), n, f.floats("up"), n, rows, n, &out, n)
        XCTAssertLessThan(relativeError(out, f.floats("expected")), 1e-6)
    }

    func testAttentionMatchesNumpy() throws {
        let cases = try XCTUnwrap(try loadFixture("lm_kernels.json")["attention"] as? [[String: Any]])
        for c in cases {
            let h = c.int("n_heads"), g = c.int("n_kv_heads"), d = c.int("head_dim")
            let prefix = c.int("prefix"), first = c.int("own_first"), n = c.int("n_q")
            let k = c.floats("k"), v = c.floats("v")
            for kernel in kernels() {
                let out = attention(kernel, q: c.floats("q"), k: k, v: v, heads: h, kvHeads: g, dim: d, prefix: prefix, ownFirst: first, rows: n)
                XCTAssertLessThan(relativeError(out, c.floats("expected")), 2e-6, "kernel \(kernel), heads \(h)/\(g), d \(d)")
            }
        }
    }

    /// Odd shapes, GQA ratios 1, 2 and 7, prefixes 0 to 300 (and a 7B group over 1050 keys, which crosses
    /// the AVX2 kernel's 48-row tiles and 32-key chunks many times): each SIMD kernel against scalar; and a
    /// split prefix equals one concatenated span.
    func testSIMDEqualsScalarAndPrefixSplitIsExact() throws {
        var rng = SplitMix64(seed: 42)
        for (h, g, d, prefix, first, n) in [(7, 1, 64, 0, 0, 1), (14, 2, 64, 17, 2, 13), (4, 4, 32, 1, 0, 19),
                                             (8, 4, 128, 300, 5, 3), (2, 1, 48, 33, 0, 40), (3, 3, 20, 4, 1, 6),
                                             (7, 1, 128, 1000, 0, 50), (14, 2, 16, 9, 7, 9)] {
            let keys = prefix + first + n
            let q = (0..<(n * h * d)).map { _ in Float.random(in: -1...1, using: &rng) }
            let k = (0..<(keys * g * d)).map { _ in Float.random(in: -2...2, using: &rng) }
            let v = (0..<(keys * g * d)).map { _ in Float.random(in: -1...1, using: &rng) }
            let scalar = attention(0, q: q, k: k, v: v, heads: h, kvHeads: g, dim: d, prefix: prefix, ownFirst: first, rows: n)
            let whole = attention(0, q: q, k: k, v: v, heads: h, kvHeads: g, dim: d, prefix: 0, ownFirst: prefix + first, rows: n)
            XCTAssertEqual(scalar, whole, "prefix span + own span vs one span")
            for kernel in kernels() where kernel != 0 {
                let simd = attention(kernel, q: q, k: k, v: v, heads: h, kvHeads: g, dim: d, prefix: prefix, ownFirst: first, rows: n)
                XCTAssertLessThan(relativeError(simd, scalar), 1e-5, "kernel \(kernel) heads \(h)/\(g) d \(d) prefix \(prefix)")
            }
        }
    }

    private func kernels() -> [Int32] {
        [Int32(MMSSR_LK_SCALAR), Int32(MMSSR_LK_AVX512), Int32(MMSSR_LK_AVX2)].filter { mmssr_lm_attention_supported($0) != 0 }
    }

    /// Queries [rows, heads, dim]; keys and values [prefix + ownFirst + rows, kvHeads, dim], the first `prefix`
    /// rows passed as the prefix span and the rest as the own span.
    private func attention(_ kernel: Int32, q: [Float], k: [Float], v: [Float], heads: Int, kvHeads: Int, dim: Int,
                           prefix: Int, ownFirst: Int, rows: Int) -> [Float] {
        let stride = kvHeads * dim, keys = prefix + ownFirst + rows
        var out = [Float](repeating: .nan, count: rows * heads * dim)
        var scratch = [Float](repeating: 0, count: mmssr_lm_attention_scratch_floats(rows, heads / kvHeads, keys, dim))
        k.withUnsafeBufferPointer { kb in
            v.withUnsafeBufferPointer { vb in
                let pre = mmssr_kv_span(k: kb.baseAddress!, v: vb.baseAddress!, stride: stride, len: prefix)
                let own = mmssr_kv_span(k: kb.baseAddress! + prefix * stride, v: vb.baseAddress! + prefix * stride,
                                        stride: stride, len: ownFirst + rows)
                mmssr_causal_attention(kernel, q, heads * dim, rows, heads, kvHeads, dim, pre, own, ownFirst,
                                       1 / Float(dim).squareRoot(), 0, kvHeads, &out, heads * dim, &scratch)
            }
        }
        return out
    }
}
