/// Building layers from a model file. A layer's precision follows its tensors' stored types (I8 weight plus
/// `.weight.scale` -> int8 layer; F32/F16 -> fp32 layer), never their names, so one model definition runs
/// both the int8 and the fp32 file.
extension GGUFFile {
    /// A linear layer from `PREFIX.weight` (`[out, in]`) and `PREFIX.bias` (absent: no bias). Several prefixes are fused into
    /// one layer whose outputs are concatenated in order (q, k and v as one GEMM); fused int8 matrices must
    /// share their SmoothQuant factors (`PREFIX.weight.smooth`, see docs/model-file.md). `dequantize` runs an
    /// int8 file's matrices in fp32.
    public func linear(_ prefixes: String..., dequantize: Bool = false) throws(ModelFileError) -> any LinearLayer {
        try linearLayer(prefixes, dequantize: dequantize)
    }

    /// `linear(_:dequantize:)` with the prefixes as an array. `quantizeDense` quantises matrices stored in a
    /// dense or llama.cpp type per output channel (an int8 layer from a file that has no I8 matrices).
    public func linearLayer(_ prefixes: [String], dequantize: Bool, quantizeDense: Bool = false) throws(ModelFileError) -> any LinearLayer {
        if let first = info("\(prefixes[0]).weight"), first.type != .i8 {
            let m = try denseMatrix(prefixes)
            return quantizeDense && !dequantize
                ? QuantizedLinear.quantizing(weight: m.weight, bias: m.bias, outFeatures: m.outFeatures, inFeatures: m.inFeatures)
                : Linear(weight: m.weight, bias: m.bias, outFeatures: m.outFeatures, inFeatures: m.inFeatures)
        }
        var quants = [Int8](), scales = [Float](), smooth: [Float]?
        let fused = try fusedShape(prefixes)
        for (prefix, w) in zip(prefixes, fused.parts) {
            guard w.type == .i8 else {
                throw ModelFileError(path: path, offset: nil, reason: "cannot fuse int8 and fp32 matrices: \(prefixes.joined(separator: ", "))")
            }
            quants += try int8s(tensor: "\(prefix).weight")
            scales += try floats(tensor: "\(prefix).weight.scale", shape: [w.shape[0]])
            let s = info("\(prefix).weight.smooth") == nil ? nil : try floats(tensor: "\(prefix).weight.smooth", shape: [w.shape[1]])
            if prefix != prefixes[0] && s != smooth {
                throw ModelFileError(path: path, offset: w.offset, reason: "fused matrices \(prefixes.joined(separator: ", ")) have different smoothing factors")
            }
            smooth = s
        }
        let (inFeatures, outFeatures, bias) = (fused.inFeatures, fused.outFeatures, fused.bias)
        if dequantize {
            let divisor = smooth ?? [Float](repeating: 1, count: inFeatures)
            let w = (0..<quants.count).map { Float(quants[$0]) * scales[$0 / inFeatures] / divisor[$0 % inFeatures] }
            return Linear(weight: w, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
        }
        return QuantizedLinear(weight: quants, scales: scales, bias: bias, outFeatures: outFeatures,
                               inFeatures: inFeatures, inputScale: smooth?.map { 1 / $0 })
    }

    /// The fp32 matrix (dequantised from its stored type) and bias of `prefixes` fused as `linearLayer` fuses
    /// them, for matrices stored in a dense or llama.cpp type (an int8 file's matrices are quantised already).
    public func denseMatrix(_ prefixes: [String]) throws(ModelFileError) -> DenseMatrix {
        let fused = try fusedShape(prefixes)
        var weights = [Float]()
        for (prefix, w) in zip(prefixes, fused.parts) {
            guard w.type != .i8 else {
                throw ModelFileError(path: path, offset: w.offset, reason: "cannot fuse int8 and fp32 matrices: \(prefixes.joined(separator: ", "))")
            }
            weights += try floats(tensor: "\(prefix).weight")
        }
        return DenseMatrix(weight: weights, bias: fused.bias, outFeatures: fused.outFeatures, inFeatures: fused.inFeatures)
    }

    /// The matrices `prefixes` name, checked to share their inputs, with the fused output count and bias (zeros
    /// for the parts without one; nil when none has one).
    private func fusedShape(_ prefixes: [String]) throws(ModelFileError)
        -> (parts: [GGUFTensorInfo], inFeatures: Int, outFeatures: Int, bias: [Float]?) {
        var parts = [GGUFTensorInfo](), biases = [Float](), hasBias = false, inFeatures = -1, outFeatures = 0
        for prefix in prefixes {
            guard let w = info("\(prefix).weight"), w.shape.count == 2 else {
                throw ModelFileError(path: path, offset: nil, reason: "tensor \(prefix).weight is missing or not a matrix")
            }
            if inFeatures >= 0 && w.shape[1] != inFeatures {
                throw ModelFileError(path: path, offset: w.offset, reason: "\(prefix).weight has \(w.shape[1]) inputs, expected \(inFeatures)")
            }
            inFeatures = w.shape[1]
            outFeatures += w.shape[0]
            if info("\(prefix).bias") != nil {
                biases += try floats(tensor: "\(prefix).bias", shape: [w.shape[0]])
                hasBias = true
            } else {
                biases += [Float](repeating: 0, count: w.shape[0])
            }
            parts.append(w)
        }
        return (parts, inFeatures, outFeatures, hasBias ? biases : nil)
    }

    /// LayerNorm from `PREFIX.weight` and `PREFIX.bias`.
    public func layerNorm(_ prefix: String, eps: Float) throws(ModelFileError) -> LayerNorm {
        let w = try floats(tensor: "\(prefix).weight")
        return LayerNorm(weight: w, bias: try floats(tensor: "\(prefix).bias", shape: [w.count]), eps: eps)
    }
}

/// A fused fp32 weight `[outFeatures, inFeatures]` (row-major, as stored) and its bias.
public struct DenseMatrix: Sendable {
    public let weight: [Float]
    public let bias: [Float]?
    public let outFeatures: Int
    public let inFeatures: Int

    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int) {
        self.weight = weight
        self.bias = bias
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
    }
}
