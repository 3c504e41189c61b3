import CBLAS

/// fp32 fully connected layer on OpenBLAS: `y = x W^T + b`.
public struct Linear: LinearLayer {
    /// How `weight` is laid out in memory.
    public enum Layout: Sendable {
        /// `[out, in]`, PyTorch's convention and the model file's.
        case outIn
        /// `[in, out]`, ONNX MatMul's convention.
        case inOut
    }

    public let weight: [Float]
    public let bias: [Float]?
    public let layout: Layout
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, layout: Layout = .outIn) {
        precondition(weight.count == outFeatures * inFeatures, "Linear: weight has \(weight.count) values, expected \(outFeatures)x\(inFeatures)")
        precondition(bias.map { $0.count == outFeatures } ?? true, "Linear: bias length differs from outFeatures")
        self.weight = weight
        self.bias = bias
        self.layout = layout
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.cols == inFeatures, "Linear: input has \(x.cols) features, expected \(inFeatures)")
        let rows = x.rows
        var out = [Float](repeating: 0, count: rows * outFeatures)
        let n = outFeatures, k = inFeatures
        let transB = layout == .outIn ? CblasTrans : CblasNoTrans
        let ldb = Int32(layout == .outIn ? k : n)
        x.data.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    let xp = UncheckedSendable(xs.baseAddress!), wp = UncheckedSendable(ws.baseAddress!)
                    let op = UncheckedSendable(os.baseAddress!)
                    let bias = self.bias
                    // Each worker runs a single-threaded sgemm on its own block of rows (see Parallel).
                    Parallel.forRanges(rows, minPerChunk: 16) { r in
                        let o = op.value + r.lowerBound * n
                        var beta: Float = 0
                        if let bias {
                            for i in 0..<r.count { (o + i * n).update(from: bias, count: n) }
                            beta = 1
                        }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, transB, Int32(r.count), Int32(n), Int32(k),
                                    1, xp.value + r.lowerBound * k, Int32(k), wp.value, ldb, beta, o, Int32(n))
                    }
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [n], data: out)
    }
}
