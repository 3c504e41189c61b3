import Tensor

/// Hyper-parameters of a SigLIP vision tower, read from a GGUF's `siglip.*` metadata (docs/model-file.md,
/// "Teacher files: SigLIP").
public struct SigLIPConfiguration: Sendable, Equatable {
    public let imageSize: Int
    public let patchSize: Int
    public let hidden: Int
    /// The blocks that run: the converter stores only the layers LLaVA-NeXT keeps.
    public let blocks: Int
    public let heads: Int
    public let intermediate: Int
    public let layerNormEps: Float
    public let imageMean: [Float]
    public let imageStd: [Float]

    public var grid: Int { imageSize / patchSize }
    /// One token per patch (no CLS): 729 for so400m at 384.
    public var patches: Int { grid * grid }
    public var headDim: Int { hidden / heads }

    /// SigLIP-so400m/14 at 384 as LLaVA-OneVision runs it: 26 of its 27 layers.
    public static let so400m = SigLIPConfiguration(imageSize: 384, patchSize: 14, hidden: 1152, blocks: 26, heads: 16,
                                                   intermediate: 4304, layerNormEps: 1e-6,
                                                   imageMean: [0.5, 0.5, 0.5], imageStd: [0.5, 0.5, 0.5])

    public init(imageSize: Int, patchSize: Int, hidden: Int, blocks: Int, heads: Int, intermediate: Int,
                layerNormEps: Float, imageMean: [Float], imageStd: [Float]) {
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hidden = hidden
        self.blocks = blocks
        self.heads = heads
        self.intermediate = intermediate
        self.layerNormEps = layerNormEps
        self.imageMean = imageMean
        self.imageStd = imageStd
    }

    public init(file: GGUFFile) throws(ModelFileError) {
        self.init(imageSize: try file.int("siglip.image_size"), patchSize: try file.int("siglip.patch_size"),
                  hidden: try file.int("siglip.embedding_length"), blocks: try file.int("siglip.block_count"),
                  heads: try file.int("siglip.attention.head_count"), intermediate: try file.int("siglip.feed_forward_length"),
                  layerNormEps: try file.float("siglip.attention.layer_norm_epsilon"),
                  imageMean: try file.floats("siglip.image_mean"), imageStd: try file.floats("siglip.image_std"))
        guard imageSize > 0, patchSize > 0, imageSize % patchSize == 0, heads > 0, hidden % heads == 0, blocks > 0,
              intermediate > 0, imageMean.count == 3, imageStd.count == 3, !imageStd.contains(0) else {
            throw ModelFileError(path: file.path, offset: nil, reason: "inconsistent siglip.* metadata (image \(imageSize), patch \(patchSize), hidden \(hidden), heads \(heads), blocks \(blocks), ffn \(intermediate), mean \(imageMean), std \(imageStd))")
        }
    }
}
