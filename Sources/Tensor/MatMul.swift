import CBLAS

/// Batched matrix product: `a` is `[batch, m, k]`, `b` is `[batch, k, n]` (or `[batch, n, k]` with
/// `transposeB`); returns `[batch, m, n]`. Products run in parallel, one per worker, each on
/// single-threaded OpenBLAS (see `Parallel`).
public func batchedMatMul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) -> Tensor {
    precondition(a.shape.count == 3 && b.shape.count == 3 && a.shape[0] == b.shape[0], "batchedMatMul: shapes \(a.shape) x \(b.shape)")
    let (batch, m, k) = (a.shape[0], a.shape[1], a.shape[2])
    let n = transposeB ? b.shape[1] : b.shape[2]
    precondition(k == (transposeB ? b.shape[2] : b.shape[1]), "batchedMatMul: inner dimensions differ in \(a.shape) x \(b.shape)")
    var out = [Float](repeating: 0, count: batch * m * n)
    a.data.withUnsafeBufferPointer { ap in
        b.data.withUnsafeBufferPointer { bp in
            out.withUnsafeMutableBufferPointer { op in
                let ptrs = UncheckedSendable((ap.baseAddress!, bp.baseAddress!, op.baseAddress!))
                Parallel.forEach(batch) { i in
                    let (a0, b0, o0) = ptrs.value
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                                Int32(m), Int32(n), Int32(k), 1, a0 + i * m * k, Int32(k),
                                b0 + i * k * n, Int32(b.shape[2]), 0, o0 + i * m * n, Int32(n))
                }
            }
        }
    }
    return Tensor(shape: [batch, m, n], data: out)
}
