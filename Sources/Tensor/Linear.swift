import CBLAS

/// fp32 fully connected layer `y = x W^T + b` on our own product (`mmssr_sgemm`), not OpenBLAS: each output is
/// one fused multiply-add chain over the inputs in order, the same on every kernel and wherever its row sits in
/// the batch, so a row's bits depend neither on the batch, the shard, the thread count nor the CPU's SIMD width.
/// (OpenBLAS's AVX2 kernels round a row by its place in the call; a score table then changed with sharding.)
public struct Linear: LinearLayer {
    /// How the weight given to `init` is laid out in memory.
    public enum Layout: Sendable {
        /// `[out, in]`, PyTorch's convention and the model file's.
        case outIn
        /// `[in, out]`, ONNX MatMul's convention.
        case inOut
    }

    /// The weight in `mmssr_sgemm`'s panels of `MMSSR_SG_PANEL` outputs.
    let packed: [Float]
    public let bias: [Float]?
    public let inFeatures: Int
    public let outFeatures: Int

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, layout: Layout = .outIn) {
        precondition(weight.count == outFeatures * inFeatures, "Linear: weight has \(weight.count) values, expected \(outFeatures)x\(inFeatures)")
        precondition(bias.map { $0.count == outFeatures } ?? true, "Linear: bias length differs from outFeatures")
        packed = [Float](unsafeUninitializedCapacity: mmssr_sgemm_packed_count(outFeatures, inFeatures)) { buffer, count in
            if let base = buffer.baseAddress { mmssr_sgemm_pack(weight, layout == .outIn ? 1 : 0, outFeatures, inFeatures, base) }
            count = buffer.count
        }
        self.bias = bias
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }

    public func forward(_ x: Tensor) -> Tensor { forward(x, kernel: Int32(MMSSR_SG_AUTO)) }

    /// `forward` on a chosen `mmssr_sgemm` kernel (for tests comparing them).
    func forward(_ x: Tensor, kernel: Int32) -> Tensor {
        precondition(x.cols == inFeatures, "Linear: input has \(x.cols) features, expected \(inFeatures)")
        let rows = x.rows, n = outFeatures, k = inFeatures
        let panels = (n + Int(MMSSR_SG_PANEL) - 1) / Int(MMSSR_SG_PANEL)
        var out = [Float](repeating: 0, count: rows * n)
        if out.isEmpty || k == 0 { return Tensor(shape: Array(x.shape.dropLast()) + [n], data: bias.map { b in (0..<rows).flatMap { _ in b } } ?? out) }
        x.data.withUnsafeBufferPointer { xs in
            packed.withUnsafeBufferPointer { ws in
                out.withUnsafeMutableBufferPointer { os in
                    let bias = self.bias
                    let p = UncheckedSendable((xs.baseAddress!, ws.baseAddress!, os.baseAddress!))
                    // Any split gives the same bits; split rows when there are enough of them (the packed
                    // weight is shared), else the outputs (a few tokens against a wide layer).
                    let byRows = rows >= 12 * Parallel.threads
                    Parallel.forRanges(byRows ? rows : panels, minPerChunk: byRows ? 6 : 2) { range in
                        let (x, w, o) = p.value
                        let (r0, r1, p0, p1) = byRows ? (range.lowerBound, range.upperBound, 0, panels)
                                                      : (0, rows, range.lowerBound, range.upperBound)
                        mmssr_sgemm(kernel, x + r0 * k, r1 - r0, k, k, w, n, p0, p1, bias, o + r0 * n, n)
                    }
                }
            }
        }
        return Tensor(shape: Array(x.shape.dropLast()) + [n], data: out)
    }
}
