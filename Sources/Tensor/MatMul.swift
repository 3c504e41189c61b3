import CBLAS

/// A row-major matrix view inside a larger buffer: `rows x cols` elements with `stride` elements between
/// row starts. Attention reads each head's q, k and v as such views of the fused projection, no copies.
struct MatrixView {
    var base: UnsafePointer<Float>
    var rows: Int
    var cols: Int
    var stride: Int
}

/// `c = alpha * a * op(b) + beta * c` on single-threaded OpenBLAS (callers parallelise across products).
/// `op(b)` is `b` or, with `transposeB`, `b^T`.
func gemm(_ a: MatrixView, _ b: MatrixView, transposeB: Bool, into c: UnsafeMutablePointer<Float>, ldc: Int,
          alpha: Float = 1, beta: Float = 0) {
    let n = transposeB ? b.rows : b.cols
    precondition(a.cols == (transposeB ? b.cols : b.rows), "gemm: inner dimensions differ")
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(a.rows), Int32(n), Int32(a.cols), alpha, a.base, Int32(a.stride),
                b.base, Int32(b.stride), beta, c, Int32(ldc))
}

/// Batched matrix product: `a` is `[batch, m, k]`, `b` is `[batch, k, n]` (or `[batch, n, k]` with
/// `transposeB`); returns `[batch, m, n]`. Products run in parallel, one per worker.
public func batchedMatMul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    precondition(a.shape.count == 3 && b.shape.count == 3 && a.shape[0] == b.shape[0], "batchedMatMul: shapes \(a.shape) x \(b.shape)")
    let (batch, m, k) = (a.shape[0], a.shape[1], a.shape[2])
    let n = transposeB ? b.shape[1] : b.shape[2]
    var out = [Float](repeating: 0, count: batch * m * n)
    a.data.withUnsafeBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            out.withUnsafeMutableBufferPointer { op in
                let ptrs = UncheckedSendable((ap.baseAddress!, bp.baseAddress!, op.baseAddress!))
                Parallel.forEach(batch) { i in
                    let (a0, b0, o0) = ptrs.value
                    let av = MatrixView(base: a0 + i * m * k, rows: m, cols: k, stride: k)
                    let bv = MatrixView(base: b0 + i * b.shape[1] * b.shape[2], rows: b.shape[1], cols: b.shape[2], stride: b.shape[2])
                    gemm(av, bv, transposeB: transposeB, into: o0 + i * m * n, ldc: n)
                }
            }
        }
    }
    return Tensor(shape: [batch, m, n], data: out)
}
