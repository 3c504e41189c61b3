import Dispatch
import Tensor

/// The SigLIP vision tower of LLaVA-NeXT / LLaVA-OneVision (`SigLipVisionTower`), as the teacher's model file
/// describes it: a patch convolution with bias, a learned position table, pre-norm blocks (attention and MLP
/// with biases, GELU tanh approximation), no CLS token. The output is the last stored block's output without
/// `post_layernorm`: LLaVA-NeXT deletes the checkpoint's last layer and takes the remaining last hidden state,
/// and the converter stores only the kept layers.
///
/// Matrices run in int8 (weights per output channel, activations per token) or fp32, whatever their stored type.
public struct SigLIP: Sendable {
    public let config: SigLIPConfiguration
    public let precision: String
    let patchProjection: any LinearLayer
    let positions: [Float]
    let blocks: [EncoderBlock]
    /// bf16 attention only when the matrices run in int8 (the fp32 tower keeps its transformers parity).
    let attentionPrecision: AttentionPrecision

    /// `fp32` runs every matrix in fp32; otherwise int8 (dense matrices quantised at load).
    public init(file: GGUFFile, fp32: Bool = false) throws(ModelFileError) {
        let c = try SigLIPConfiguration(file: file)
        config = c
        precision = fp32 ? "f32" : "int8"
        func linear(_ prefixes: [String], outFeatures: Int, inFeatures: Int) throws(ModelFileError) -> any LinearLayer {
            // linearLayer reads a missing bias as zeros; SigLIP has every one.
            for prefix in prefixes where file.info("\(prefix).bias") == nil {
                throw ModelFileError(path: file.path, offset: nil, reason: "tensor \(prefix).bias is missing")
            }
            let layer = try file.linearLayer(prefixes, dequantize: fp32, quantizeDense: !fp32)
            guard layer.outFeatures == outFeatures, layer.inFeatures == inFeatures else {
                throw ModelFileError(path: file.path, offset: nil, reason: "\(prefixes.map { "\($0).weight" }.joined(separator: "+")) is \(layer.outFeatures)x\(layer.inFeatures), expected \(outFeatures)x\(inFeatures)")
            }
            return layer
        }
        func layerNorm(_ prefix: String) throws(ModelFileError) -> LayerNorm {
            LayerNorm(weight: try file.floats(tensor: "\(prefix).weight", shape: [c.hidden]),
                      bias: try file.floats(tensor: "\(prefix).bias", shape: [c.hidden]), eps: c.layerNormEps)
        }
        let (d, p) = (c.hidden, c.patchSize)
        patchProjection = try linear(["v.patch_embd"], outFeatures: d, inFeatures: 3 * p * p)
        positions = try file.floats(tensor: "v.position_embd.weight", shape: [c.patches, d])
        blocks = try (0..<c.blocks).map { i throws(ModelFileError) in
            let b = "v.blk.\(i)"
            return EncoderBlock(
                norm1: try layerNorm("\(b).ln1"),
                qkv: try linear(["\(b).attn_q", "\(b).attn_k", "\(b).attn_v"], outFeatures: 3 * d, inFeatures: d),
                out: try linear(["\(b).attn_out"], outFeatures: d, inFeatures: d),
                layerScale1: nil,
                norm2: try layerNorm("\(b).ln2"),
                fc1: try linear(["\(b).ffn_up"], outFeatures: c.intermediate, inFeatures: d),
                activation: .tanh,
                fc2: try linear(["\(b).ffn_down"], outFeatures: d, inFeatures: c.intermediate),
                layerScale2: nil)
        }
        attentionPrecision = fp32 ? .fp32 : .bf16
    }

    /// A tower from random weights with the given shapes (benchmarks: no file needed).
    public init(randomWeights c: SigLIPConfiguration, fp32: Bool = false, seed: UInt64 = 1) {
        config = c
        precision = fp32 ? "f32" : "int8"
        var rng = SplitMix64(seed: seed)
        func values(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) } }
        func linear(_ out: Int, _ inp: Int) -> any LinearLayer {
            let weight = values(out * inp, 1 / Float(inp).squareRoot()), bias = values(out, 0.02)
            return fp32 ? Linear(weight: weight, bias: bias, outFeatures: out, inFeatures: inp)
                        : QuantizedLinear.quantizing(weight: weight, bias: bias, outFeatures: out, inFeatures: inp)
        }
        func layerNorm() -> LayerNorm {
            LayerNorm(weight: values(c.hidden, 0.1).map { 1 + $0 }, bias: values(c.hidden, 0.1), eps: c.layerNormEps)
        }
        let d = c.hidden
        patchProjection = linear(d, 3 * c.patchSize * c.patchSize)
        positions = values(c.patches * d, 0.5)
        blocks = (0..<c.blocks).map { _ in
            EncoderBlock(norm1: layerNorm(), qkv: linear(3 * d, d), out: linear(d, d), layerScale1: nil,
                         norm2: layerNorm(), fc1: linear(c.intermediate, d), activation: .tanh,
                         fc2: linear(d, c.intermediate), layerScale2: nil)
        }
        attentionPrecision = fp32 ? .fp32 : .bf16
    }

    /// The preprocessing the tower expects (LLaVA-NeXT's `SigLipImageProcessor`): PIL bicubic to
    /// `imageSize x imageSize`, `x / 255`, `(x - mean) / std`.
    public var preprocessor: ImagePreprocessor {
        ImagePreprocessor(size: config.imageSize, mean: config.imageMean, std: config.imageStd)
    }

    /// Features `[patches, hidden]` of each preprocessed image (`[3, imageSize, imageSize]`, as
    /// `preprocessor.tensor` gives them): 729 x 1152 for so400m at 384.
    public func forward(images: [Tensor]) -> [Tensor] {
        var clock = PartClock(enabled: false)
        return forward(images: images, clock: &clock)
    }

    /// `forward(images:)`, with the time of each kind of op added to `clock` (see `forwardImageParallel`).
    public func forward(images: [Tensor], clock: inout PartClock) -> [Tensor] {
        let s = config.imageSize
        for (i, image) in images.enumerated() {
            precondition(image.shape == [3, s, s], "image \(i) has shape \(image.shape), expected [3, \(s), \(s)]")
        }
        let t = config.patches
        return forwardImageParallel(count: images.count, clock: &clock) { range, clock in
            batchForward(images[range].map(\.data), clock: &clock)
        }.flatMap { states in (0..<states.rows / t).map { states.rows($0 * t ..< ($0 + 1) * t) } }
    }

    /// One forward over the whole batch, each op split across the workers: `[images * patches, hidden]`.
    func batchForward(_ images: [[Float]], clock: inout PartClock) -> Tensor {
        clock.start()
        let t = config.patches
        let rows = patchRows(images, imageSize: config.imageSize, patchSize: config.patchSize)
        clock.mark(.other)
        var x = patchProjection.forward(rows)
        clock.mark(.linear)
        x.addPositions(positions, every: t)
        clock.mark(.other)
        let sequences = (0..<images.count).map { $0 * t ..< ($0 + 1) * t }
        for block in blocks {
            x = block.forward(consume x, heads: config.heads, sequences: sequences, precision: attentionPrecision, clock: &clock)
        }
        return x
    }

    /// Seconds for one forward of `images` random images, split by kind of op: what `mmssr bench` reports.
    public func timeForward(images: Int) -> (seconds: Double, parts: PartClock) {
        let s = config.imageSize
        var rng = SplitMix64(seed: 7)
        let inputs = (0..<images).map { _ in
            Tensor(shape: [3, s, s], data: (0..<3 * s * s).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        var clock = PartClock(enabled: true)
        let start = DispatchTime.now().uptimeNanoseconds
        _ = forward(images: inputs, clock: &clock)
        return (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, clock)
    }
}

private extension Tensor {
    /// Adds the position table (`[every, cols]`) to each run of `every` rows.
    mutating func addPositions(_ table: [Float], every: Int) {
        let n = every * cols
        precondition(table.count == n && data.count % n == 0, "position table of \(table.count) for \(shape)")
        for start in stride(from: 0, to: data.count, by: n) {
            for j in 0..<n { data[start + j] += table[j] }
        }
    }
}
