import CBLAS

/// Multi-head scaled dot-product attention over packed sequences.
///
/// `qkv` is `[tokens, 3 * hidden]`: each row holds `[q | k | v]`, each of them `heads` blocks of
/// `hidden / heads`. `sequences` are the token ranges of independent sequences (images of a batch,
/// texts of different lengths): tokens attend only within their own range, so variable-length texts
/// need neither padding nor a mask. Returns the concatenated heads, `[tokens, hidden]`.
public func multiHeadAttention(qkv: Tensor, heads: Int, sequences: [Range<Int>], scale: Float) -> Tensor {
    let hidden = qkv.cols / 3
    precondition(qkv.cols == 3 * hidden && hidden % heads == 0, "attention: \(qkv.cols) columns do not split into q, k, v of \(heads) heads")
    let dh = hidden / heads
    let stride = 3 * hidden
    var out = [Float](repeating: 0, count: qkv.rows * hidden)
    qkv.data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            let ptrs = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
            // One task per (sequence, head); each writes its own head's columns of its own rows.
            Parallel.forEach(sequences.count * heads) { task in
                let (s, h) = (sequences[task / heads], task % heads)
                let (base, result) = ptrs.value
                let rowBase = base + s.lowerBound * stride
                let q = MatrixView(base: rowBase + h * dh, rows: s.count, cols: dh, stride: stride)
                let k = MatrixView(base: rowBase + hidden + h * dh, rows: s.count, cols: dh, stride: stride)
                let v = MatrixView(base: rowBase + 2 * hidden + h * dh, rows: s.count, cols: dh, stride: stride)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: s.count * s.count)
                defer { scores.deallocate() }
                gemm(q, k, transposeB: true, into: scores, ldc: s.count, alpha: scale)
                mmssr_softmax_rows(scores, s.count, s.count)
                let p = MatrixView(base: UnsafePointer(scores), rows: s.count, cols: s.count, stride: s.count)
                gemm(p, v, transposeB: false, into: result + s.lowerBound * hidden + h * dh, ldc: hidden)
            }
        }
    }
    return Tensor(shape: [qkv.rows, hidden], data: out)
}
