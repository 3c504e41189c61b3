import Tensor

/// Hyper-parameters of the vision tower, read from the model file's `vision.*` metadata.
public struct VisionConfig: Sendable {
    public let imageSize: Int
    public let patchSize: Int
    public let dim: Int
    public let depth: Int
    public let heads: Int
    public let mlpDim: Int
    public let layerNormEps: Float
    public let imageMean: [Float]
    public let imageStd: [Float]

    public var grid: Int { imageSize / patchSize }
    /// CLS plus one token per patch.
    public var tokens: Int { grid * grid + 1 }

    public init(file: GGUFFile) throws(ModelFileError) {
        imageSize = try file.int("vision.image_size")
        patchSize = try file.int("vision.patch_size")
        dim = try file.int("vision.embed_dim")
        depth = try file.int("vision.depth")
        heads = try file.int("vision.heads")
        mlpDim = try file.int("vision.mlp_dim")
        layerNormEps = try file.float("vision.layer_norm_eps")
        imageMean = try file.floats("vision.image_mean")
        imageStd = try file.floats("vision.image_std")
        guard imageSize % patchSize == 0, dim % heads == 0, imageMean.count == 3, imageStd.count == 3 else {
            throw ModelFileError(path: file.path, offset: nil, reason: "inconsistent vision.* metadata")
        }
    }
}

/// What the vision tower gives the heads for each image.
public struct VisionFeatures: Sendable {
    /// `[images, dim]`: the CLS token after the final LayerNorm.
    public let cls: Tensor
    /// `[images, dim]`: the mean of the patch tokens after the final LayerNorm.
    public let patchMean: Tensor
}

/// DINOv2 ViT (pre-norm blocks with LayerScale), as the model file describes it.
public struct VisionTransformer: Sendable {
    public let config: VisionConfig
    let patchProjection: any LinearLayer
    let clsToken: [Float]
    let positions: [Float]
    let blocks: [EncoderBlock]
    let norm: LayerNorm
    /// bf16 attention only when the matrices run in int8 (fp32 models keep their onnxruntime parity).
    let attentionPrecision: AttentionPrecision

    /// `dequantize` runs an int8 file's matrices in fp32.
    public init(file: GGUFFile, dequantize: Bool = false) throws(ModelFileError) {
        let c = try VisionConfig(file: file)
        config = c
        patchProjection = try file.linear("v.patch_embed", dequantize: dequantize)
        guard patchProjection.inFeatures == 3 * c.patchSize * c.patchSize, patchProjection.outFeatures == c.dim else {
            throw ModelFileError(path: file.path, offset: nil, reason: "v.patch_embed does not match vision.* metadata")
        }
        clsToken = try file.floats(tensor: "v.cls_token", shape: [c.dim])
        positions = try file.floats(tensor: "v.pos_embed", shape: [c.tokens, c.dim])
        blocks = try (0..<c.depth).map { i throws(ModelFileError) in
            let p = "v.blk.\(i)"
            return EncoderBlock(
                norm1: try file.layerNorm("\(p).norm1", eps: c.layerNormEps),
                qkv: try file.linear("\(p).attn.q", "\(p).attn.k", "\(p).attn.v", dequantize: dequantize),
                out: try file.linear("\(p).attn.out", dequantize: dequantize),
                layerScale1: try file.floats(tensor: "\(p).ls1", shape: [c.dim]),
                norm2: try file.layerNorm("\(p).norm2", eps: c.layerNormEps),
                fc1: try file.linear("\(p).mlp.fc1", dequantize: dequantize),
                activation: .erf,
                fc2: try file.linear("\(p).mlp.fc2", dequantize: dequantize),
                layerScale2: try file.floats(tensor: "\(p).ls2", shape: [c.dim]))
        }
        norm = try file.layerNorm("v.norm", eps: c.layerNormEps)
        attentionPrecision = blocks.allSatisfy { $0.qkv is Linear } ? .fp32 : .bf16
    }

    /// Final hidden states `[images * tokens, dim]` for preprocessed images (each CHW, `3 x size x size`).
    public func hiddenStates(_ images: [[Float]]) -> Tensor {
        var clock = PartClock(enabled: false)
        return hiddenStates(images, clock: &clock)
    }

    /// `hiddenStates`, with the time of each kind of op added to `clock` (see `forwardImageParallel`).
    public func hiddenStates(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        Tensor.concatRows(forwardImageParallel(count: images.count, clock: &clock) { range, clock in
            batchHiddenStates(Array(images[range]), clock: &clock)
        })
    }

    /// One forward over the whole batch, each op split across the workers.
    func batchHiddenStates(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        clock.start()
        var x = embed(images, clock: &clock)
        let sequences = (0..<images.count).map { $0 * config.tokens ..< ($0 + 1) * config.tokens }
        for block in blocks {
            x = block.forward(consume x, heads: config.heads, sequences: sequences, precision: attentionPrecision, clock: &clock)
        }
        let out = norm.forward(x)
        clock.mark(.other)
        return out
    }

    public func features(_ images: [[Float]]) -> VisionFeatures {
        let h = hiddenStates(images)
        let t = config.tokens
        let cls = Tensor.concatRows((0..<images.count).map { h.rows($0 * t ..< $0 * t + 1) })
        let patchMean = meanPool(h, segments: (0..<images.count).map { $0 * t + 1 ..< ($0 + 1) * t })
        return VisionFeatures(cls: cls, patchMean: patchMean)
    }

    /// CLS token and patch embeddings plus the position table: `[images * tokens, dim]`.
    func embed(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        let rows = patchRows(images, imageSize: config.imageSize, patchSize: config.patchSize)
        clock.mark(.other)
        let patches = patchProjection.forward(rows)
        clock.mark(.linear)
        let x = addingPositions(patches, images: images.count)
        clock.mark(.other)
        return x
    }

    private func addingPositions(_ patches: Tensor, images: Int) -> Tensor {
        let (t, d) = (config.tokens, config.dim)
        var x = [Float](repeating: 0, count: images * t * d)
        for i in 0..<images {
            for j in 0..<d { x[i * t * d + j] = clsToken[j] + positions[j] }
            for p in 1..<t {
                let dst = (i * t + p) * d, src = (i * (t - 1) + p - 1) * d
                for j in 0..<d { x[dst + j] = patches.data[src + j] + positions[p * d + j] }
            }
        }
        return Tensor(shape: [images * t, d], data: x)
    }
}
