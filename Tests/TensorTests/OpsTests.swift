import XCTest
@testable import Tensor

/// Every op against float64 numpy on random inputs (tools/make_op_fixtures.py).
/// Tolerance: norm-wise relative error max|a - b| / max|b| <= 1e-5 (fp32 rounding over at most a few dozen
/// accumulated terms stays near 1e-6; 1e-5 leaves room without hiding a wrong formula, which errs by >1e-2).
final class OpsTests: XCTestCase {
    static let tolerance: Float = 1e-5
    var cases: [String: Any] = [:]

    override func setUpWithError() throws { cases = try loadFixture("ops.json") }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String, line: UInt = #line) {
        let err = relativeError(a, b)
        XCTAssertLessThanOrEqual(err, Self.tolerance, "\(what): relative error \(err)", line: line)
    }

    func testLinearBothLayoutsWithAndWithoutBias() {
        let c = cases.dict("linear")
        let (rows, k, n) = (c.int("rows"), c.int("inFeatures"), c.int("outFeatures"))
        let x = Tensor(shape: [rows, k], data: c.floats("x"))
        let outIn = Linear(weight: c.floats("weightOutIn"), bias: c.floats("bias"), outFeatures: n, inFeatures: k)
        let inOut = Linear(weight: c.floats("weightInOut"), bias: c.floats("bias"), outFeatures: n, inFeatures: k, layout: .inOut)
        let noBias = Linear(weight: c.floats("weightOutIn"), bias: nil, outFeatures: n, inFeatures: k)
        assertClose(outIn.forward(x).data, c.floats("out"), "linear [out,in]")
        assertClose(inOut.forward(x).data, c.floats("out"), "linear [in,out]")
        assertClose(noBias.forward(x).data, c.floats("outNoBias"), "linear without bias")
        XCTAssertEqual(outIn.forward(x).shape, [rows, n])
    }

    func testLinearSplitsRowsAcrossWorkers() {
        let c = cases.dict("linearManyRows")
        let (rows, k, n) = (c.int("rows"), c.int("inFeatures"), c.int("outFeatures"))
        let layer = Linear(weight: c.floats("weight"), bias: nil, outFeatures: n, inFeatures: k)
        for threads in [1, 2, 3] {
            Parallel.setThreads(threads)
            assertClose(layer.forward(Tensor(shape: [rows, k], data: c.floats("x"))).data, c.floats("out"), "linear, \(threads) threads")
        }
        Parallel.setThreads(2)
    }

    func testBatchedMatMul() {
        let c = cases.dict("batchedMatMul")
        let (batch, m, k, n) = (c.int("batch"), c.int("m"), c.int("k"), c.int("n"))
        let a = Tensor(shape: [batch, m, k], data: c.floats("a"))
        assertClose(batchedMatMul(a, Tensor(shape: [batch, k, n], data: c.floats("b"))).data, c.floats("out"), "matmul")
        assertClose(batchedMatMul(a, Tensor(shape: [batch, n, k], data: c.floats("bT")), transposeB: true).data, c.floats("out"), "matmul b^T")
    }

    func testSoftmaxIsStableOnLargeLogits() {
        let c = cases.dict("softmax")
        let out = softmax(Tensor(shape: [c.int("rows"), c.int("cols")], data: c.floats("x")))
        assertClose(out.data, c.floats("out"), "softmax")
        XCTAssertFalse(out.data.contains { !$0.isFinite })
    }

    func testLayerNormBothEpsilons() {
        let c = cases.dict("layerNorm")
        let x = Tensor(shape: [c.int("rows"), c.int("cols")], data: c.floats("x"))
        assertClose(LayerNorm(weight: c.floats("weight"), bias: c.floats("bias"), eps: 1e-6).forward(x).data, c.floats("out6"), "layernorm 1e-6")
        assertClose(LayerNorm(weight: c.floats("weight"), bias: c.floats("bias"), eps: 1e-12).forward(x).data, c.floats("out12"), "layernorm 1e-12")
    }

    func testGELUBothFormsAlsoElementwiseInTheTail() {
        let c = cases.dict("gelu")
        let x = Tensor(shape: [c.floats("x").count], data: c.floats("x"))
        for (form, key) in [(GELU.erf, "erf"), (.tanh, "tanh")] {
            let got = form(x).data, want = c.floats(key)
            assertClose(got, want, "gelu \(key)")
            // The negative tail is where 1 + erf(x) cancels: check each value there, not only the norm.
            for (g, w) in zip(got, want) where abs(w) > 1e-4 {
                XCTAssertLessThanOrEqual(abs(g - w) / abs(w), 1e-4, "gelu \(key) at value \(w)")
            }
        }
    }

    func testElementwise() {
        let c = cases.dict("elementwise")
        let shape = [c.int("rows"), c.int("cols")]
        let x = Tensor(shape: shape, data: c.floats("x")), y = Tensor(shape: shape, data: c.floats("y"))
        assertClose((x + y).data, c.floats("add"), "add")
        assertClose(x.scalingChannels(by: c.floats("scale")).data, c.floats("scaled"), "scale")
        assertClose(x.addingScaled(y, channelScale: c.floats("scale")).data, c.floats("addScaled"), "add scaled")
    }

    func testMaskedMeanPoolAsSegments() {
        let c = cases.dict("maskedMeanPool")
        let (batch, seq, dim) = (c.int("batch"), c.int("seq"), c.int("dim"))
        let mask = c.ints("mask")
        // A packed batch keeps only the unmasked tokens of each sequence (masks here are prefixes).
        var rows = [Float](), segments = [Range<Int>]()
        let x = c.floats("x")
        for b in 0..<batch {
            let start = rows.count / dim
            for t in 0..<seq where mask[b * seq + t] == 1 { rows += x[(b * seq + t) * dim ..< (b * seq + t + 1) * dim] }
            segments.append(start ..< rows.count / dim)
        }
        assertClose(meanPool(Tensor(shape: [rows.count / dim, dim], data: rows), segments: segments).data, c.floats("out"), "mean pool")
    }

    func testL2Normalize() {
        let c = cases.dict("l2Normalize")
        assertClose(l2Normalized(Tensor(shape: [c.int("rows"), c.int("cols")], data: c.floats("x"))).data, c.floats("out"), "l2")
    }

    func testAttentionOverPackedSequencesOfDifferentLengths() {
        let c = cases.dict("attention")
        let lengths = c.ints("lengths")
        var segments = [Range<Int>](), start = 0
        for n in lengths { segments.append(start ..< start + n); start += n }
        let qkv = Tensor(shape: [start, c.floats("qkv").count / start], data: c.floats("qkv"))
        let out = multiHeadAttention(qkv: qkv, heads: c.int("heads"), sequences: segments, scale: Float(c.double("scale")))
        assertClose(out.data, c.floats("out"), "attention")
    }
}
