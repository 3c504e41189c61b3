import CBLAS

/// RMSNorm over the last dimension: `x / sqrt(mean(x^2) + eps) * weight` (Qwen2, Llama).
public struct RMSNorm: Sendable {
    public let weight: [Float]
    public let eps: Float

    public init(weight: [Float], eps: Float) {
        self.weight = weight
        self.eps = eps
    }

    /// Out of place: pre-norm blocks keep `x` for the residual.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.cols == weight.count, "RMSNorm: \(x.cols) features, expected \(weight.count)")
        let (rows, cols) = (x.rows, x.cols)
        let data = [Float](unsafeUninitializedCapacity: rows * cols) { out, count in
            if rows > 0 {
                x.data.withUnsafeBufferPointer { src in
                    weight.withUnsafeBufferPointer { w in
                        // Each worker writes only its own rows.
                        let p = UncheckedSendable((src.baseAddress!, out.baseAddress!, w.baseAddress!))
                        Parallel.forRanges(rows, minPerChunk: 64) { r in
                            let (src, out, w) = p.value
                            let o = r.lowerBound * cols
                            mmssr_rmsnorm(src + o, cols, w, r.count, cols, eps, out + o, cols)
                        }
                    }
                }
            }
            count = rows * cols
        }
        return Tensor(shape: x.shape, data: data)
    }
}
