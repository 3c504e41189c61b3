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
    struct Block: Sendable {
        let norm1: LayerNorm
        let qkv: any LinearLayer
        let out: any LinearLayer
        let layerScale1: [Float]
        let norm2: LayerNorm
        let fc1: any LinearLayer
        let fc2: any LinearLayer
        let layerScale2: [Float]
    }

    public let config: VisionConfig
    let patchProjection: any LinearLayer
    let clsToken: [Float]
    let positions: [Float]
    let blocks: [Block]
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
            return Block(
                norm1: try file.layerNorm("\(p).norm1", eps: c.layerNormEps),
                qkv: try file.linear("\(p).attn.q", "\(p).attn.k", "\(p).attn.v", dequantize: dequantize),
                out: try file.linear("\(p).attn.out", dequantize: dequantize),
                layerScale1: try file.floats(tensor: "\(p).ls1", shape: [c.dim]),
                norm2: try file.layerNorm("\(p).norm2", eps: c.layerNormEps),
                fc1: try file.linear("\(p).mlp.fc1", dequantize: dequantize),
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

    /// `hiddenStates`, with the time of each kind of op added to `clock`.
    ///
    /// With several workers and images, each worker runs whole forwards of one image at a time: an image's
    /// activations fit a core's L2 (measured on 2 cores: one image per forward 35 images/s per core, eight
    /// 22, and eight split op by op over both cores 41 in all). Rows never depend on their batch mates, so
    /// the result is the same bits either way.
    public func hiddenStates(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        let workers = min(Parallel.threads, images.count)
        guard workers > 1 else { return batchHiddenStates(images, clock: &clock) }
        var states = [Tensor](repeating: Tensor(zeros: [0, config.dim]), count: images.count)
        var clocks = [PartClock](repeating: PartClock(enabled: clock.isEnabled), count: workers)
        states.withUnsafeMutableBufferPointer { s in
            clocks.withUnsafeMutableBufferPointer { c in
                // Worker w writes only states[i] for its own i and clocks[w].
                let out = UncheckedSendable((s.baseAddress!, c.baseAddress!))
                Parallel.forEach(workers) { w in
                    Parallel.serially {
                        for i in stride(from: w, to: images.count, by: workers) {
                            out.value.0[i] = batchHiddenStates([images[i]], clock: &out.value.1[w])
                        }
                    }
                }
            }
        }
        for worker in clocks { clock.add(worker) }
        return Tensor.concatRows(states)
    }

    /// One forward over the whole batch, each op split across the workers.
    func batchHiddenStates(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        clock.start()
        var x = embed(images, clock: &clock)
        let sequences = (0..<images.count).map { $0 * config.tokens ..< ($0 + 1) * config.tokens }
        for block in blocks { x = forward(block, consume x, sequences, clock: &clock) }
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
        let rows = patchRows(images)
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

    /// The patch embedding's convolution as a GEMM: one row per patch (row-major over the grid), holding the
    /// patch's pixels in the kernel's (channel, y, x) order.
    func patchRows(_ images: [[Float]]) -> Tensor {
        let (s, ps, g) = (config.imageSize, config.patchSize, config.grid)
        let width = 3 * ps * ps
        var rows = [Float](repeating: 0, count: images.count * g * g * width)
        for (i, image) in images.enumerated() {
            precondition(image.count == 3 * s * s, "image \(i) has \(image.count) values, expected 3x\(s)x\(s)")
            for py in 0..<g {
                for px in 0..<g {
                    var o = ((i * g + py) * g + px) * width
                    for ch in 0..<3 {
                        for y in 0..<ps {
                            let src = (ch * s + py * ps + y) * s + px * ps
                            for x in 0..<ps { rows[o + x] = image[src + x] }
                            o += ps
                        }
                    }
                }
            }
        }
        return Tensor(shape: [images.count * g * g, width], data: rows)
    }

    /// One pre-norm block. `x` is consumed so the residual additions update its storage in place.
    func forward(_ b: Block, _ x: consuming Tensor, _ sequences: [Range<Int>], clock: inout PartClock) -> Tensor {
        let dh = config.dim / config.heads
        let normed = b.norm1.forward(x)
        clock.mark(.other)
        let qkv = b.qkv.forward(normed)
        clock.mark(.linear)
        let attended = multiHeadAttention(qkv: qkv, heads: config.heads, sequences: sequences,
                                          scale: 1 / Float(dh).squareRoot(), precision: attentionPrecision)
        clock.mark(.attention)
        let projected = b.out.forward(attended)
        clock.mark(.linear)
        let x = (consume x).addingScaled(projected, channelScale: b.layerScale1)
        let normed2 = b.norm2.forward(x)
        clock.mark(.other)
        let hidden = b.fc1.forward(normed2)
        clock.mark(.linear)
        let activated = GELU.erf(consume hidden)
        clock.mark(.other)
        let mlp = b.fc2.forward(activated)
        clock.mark(.linear)
        let out = (consume x).addingScaled(mlp, channelScale: b.layerScale2)
        clock.mark(.other)
        return out
    }
}
