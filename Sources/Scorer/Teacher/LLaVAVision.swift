import Tensor
import Vision

/// LLaVA-OneVision's image path for one image: SigLIP (last layer deleted, no post_layernorm), the
/// `mlp2x_gelu` projector (Linear, exact-erf GELU, Linear) into the language model's width, and
/// `image_newline` appended (the `spatial_unpad` merge's single-image branch): 729 + 1 rows at 384.
public struct LLaVAVision: Sendable {
    public let tower: SigLIP
    let projectorIn: any LinearLayer
    let projectorOut: any LinearLayer
    let newline: [Float]?

    /// nil when the file has no vision tower (a text-only teacher).
    public init?(file: GGUFFile, languageWidth: Int, fp32: Bool) throws(ModelFileError) {
        guard file.info("v.patch_embd.weight") != nil else { return nil }
        let kind = (try? file.string("mm.projector_type")) ?? "mlp2x_gelu"
        guard kind == "mlp2x_gelu" else {
            throw ModelFileError(path: file.path, offset: nil, reason: "projector '\(kind)' is not supported (only mlp2x_gelu)")
        }
        tower = try SigLIP(file: file, fp32: fp32)
        func linear(_ name: String, out: Int, in inp: Int) throws(ModelFileError) -> any LinearLayer {
            let layer = try file.linearLayer([name], dequantize: fp32, quantizeDense: !fp32)
            guard layer.outFeatures == out, layer.inFeatures == inp else {
                throw ModelFileError(path: file.path, offset: nil, reason: "\(name).weight is \(layer.outFeatures)x\(layer.inFeatures), expected \(out)x\(inp)")
            }
            return layer
        }
        projectorIn = try linear("mm.0", out: languageWidth, in: tower.config.hidden)
        projectorOut = try linear("mm.2", out: languageWidth, in: languageWidth)
        newline = file.info("mm.image_newline") == nil ? nil : try file.floats(tensor: "mm.image_newline", shape: [languageWidth])
    }

    /// Random weights of the given shapes (benchmarks).
    public init(randomTower c: SigLIPConfiguration, languageWidth: Int, fp32: Bool, seed: UInt64 = 3) {
        tower = SigLIP(randomWeights: c, fp32: fp32, seed: seed)
        var rng = SplitMix64(seed: seed &+ 1)
        func linear(_ out: Int, _ inp: Int) -> any LinearLayer {
            let w = (0..<(out * inp)).map { _ in Float.random(in: -1...1, using: &rng) / Float(inp).squareRoot() }
            let b = (0..<out).map { _ in Float.random(in: -0.02...0.02, using: &rng) }
            return fp32 ? Linear(weight: w, bias: b, outFeatures: out, inFeatures: inp)
                        : QuantizedLinear.quantizing(weight: w, bias: b, outFeatures: out, inFeatures: inp)
        }
        projectorIn = linear(languageWidth, c.hidden)
        projectorOut = linear(languageWidth, languageWidth)
        newline = (0..<languageWidth).map { _ in Float.random(in: -0.05...0.05, using: &rng) }
    }

    /// Rows that take the place of one `<image>`.
    public var rows: Int { tower.config.patches + (newline == nil ? 0 : 1) }

    /// The image preprocessed as `SigLipImageProcessor` does, `[3, size, size]`.
    public func pixels(_ image: RGBImage) -> Tensor { tower.preprocessor.tensor(image) }

    /// The rows `[rows, language width]` that replace the image placeholder.
    public func embeddings(pixels: Tensor) -> Tensor {
        let features = tower.forward(images: [pixels])[0]
        let projected = projectorOut.forward(GELU.erf(projectorIn.forward(features)))
        guard let newline else { return projected }
        return Tensor.concatRows([projected, Tensor(shape: [1, newline.count], data: newline)])
    }
}
