import CBLAS

/// LayerNorm over the last dimension: `(x - mean) / sqrt(var + eps) * weight + bias`.
public struct LayerNorm: Sendable {
    public let weight: [Float]
    public let bias: [Float]
    public let eps: Float

    public init(weight: [Float], bias: [Float], eps: Float) {
        precondition(weight.count == bias.count, "LayerNorm: weight and bias lengths differ")
        self.weight = weight
        self.bias = bias
        self.eps = eps
    }

    /// Out of place: pre-norm blocks keep `x` for the residual, so normalising in place would copy it first.
    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.cols == weight.count, "LayerNorm: \(x.cols) features, expected \(weight.count)")
        let (rows, cols) = (x.rows, x.cols)
        guard rows > 0 else { return x }
        let data = [Float](unsafeUninitializedCapacity: rows * cols) { out, count in
            x.data.withUnsafeBufferPointer { src in
                weight.withUnsafeBufferPointer { w in
                    bias.withUnsafeBufferPointer { b in
                        let p = UncheckedSendable((src.baseAddress!, out.baseAddress!, w.baseAddress!, b.baseAddress!))
                        Parallel.forRanges(rows, minPerChunk: 64) { r in
                            let (src, out, w, b) = p.value
                            let offset = r.lowerBound * cols
                            mmssr_layernorm_rows(src + offset, out + offset, r.count, cols, w, b, eps)
                        }
                    }
                }
            }
            count = rows * cols
        }
        return Tensor(shape: [rows, cols], data: data)
    }
}

/// Scales every row to unit Euclidean length (rows of zeros stay zero).
public func l2Normalized(_ x: Tensor) -> Tensor {
    var out = x
    let cols = x.cols
    for r in 0..<x.rows {
        var sum: Double = 0
        for j in 0..<cols { let v = Double(x.data[r * cols + j]); sum += v * v }
        guard sum > 0 else { continue }
        let inv = Float(1 / sum.squareRoot())
        for j in 0..<cols { out.data[r * cols + j] *= inv }
    }
    return out
}
