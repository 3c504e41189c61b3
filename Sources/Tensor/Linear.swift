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

    /// Rows per sgemm call. Every call multiplies exactly this many rows (the last block is zero-padded), so a
    /// row's result never depends on how many rows share its batch: OpenBLAS picks kernels and edge paths by M,
    /// and different paths round differently. Sharded and single-process runs then score bit-identically.
    static let rowBlock = 64

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.cols == inFeatures, "Linear: input has \(x.cols) features, expected \(inFeatures)")
        let rows = x.rows
        let n = outFeatures, k = inFeatures, block = Self.rowBlock
        var out = [Float](repeating: 0, count: rows * n)
        let transB = layout == .outIn ? CblasTrans : CblasNoTrans
        let ldb = Int32(layout == .outIn ? k : n)
        x.data.withUnsafeBufferPointer { xs in
            weight.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    let p = UncheckedSendable((xs.baseAddress!, ws.baseAddress!, os.baseAddress!))
                    let bias = self.bias
                    Parallel.forRanges((rows + block - 1) / block) { blocks in
                        let (x, w, o) = p.value
                        // Each worker owns a padded input/output pair for the partial last block.
                        var paddedIn = [Float](), paddedOut = [Float]()
                        for b in blocks {
                            let r0 = b * block, count = min(block, rows - r0)
                            var src = x + r0 * k, dst = o + r0 * n
                            if count < block {
                                paddedIn = [Float](repeating: 0, count: block * k)
                                paddedOut = [Float](repeating: 0, count: block * n)
                                paddedIn.withUnsafeMutableBufferPointer { $0.baseAddress!.update(from: src, count: count * k) }
                            }
                            paddedIn.withUnsafeMutableBufferPointer { pin in
                                paddedOut.withUnsafeMutableBufferPointer { pout in
                                    if count < block { src = UnsafePointer(pin.baseAddress!); dst = pout.baseAddress! }
                                    var beta: Float = 0
                                    if let bias {
                                        for i in 0..<block { (dst + i * n).update(from: bias, count: n) }
                                        beta = 1
                                    }
                                    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB, Int32(block), Int32(n), Int32(k),
                                                1, src, Int32(k), w, ldb, beta, dst, Int32(n))
                                    if count < block { (o + r0 * n).update(from: dst, count: count * n) }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [n], data: out)
    }
}
