import Tensor

/// Hyper-parameters of a Qwen2 decoder, read from a GGUF's `qwen2.*` metadata (llama.cpp's names; mmssr's
/// own language-model files use the same, see docs/model-file.md).
public struct Qwen2Configuration: Sendable, Equatable {
    public let layers: Int
    public let hidden: Int
    public let intermediate: Int
    public let heads: Int
    public let kvHeads: Int
    public let contextLength: Int
    public let ropeTheta: Float
    public let rmsNormEps: Float
    public let vocabularySize: Int
    /// `output.weight` is absent: the head reuses the token embedding.
    public let tiedEmbedding: Bool

    public var headDim: Int { hidden / heads }
    public var kvWidth: Int { kvHeads * headDim }

    public init(layers: Int, hidden: Int, intermediate: Int, heads: Int, kvHeads: Int, contextLength: Int,
                ropeTheta: Float, rmsNormEps: Float, vocabularySize: Int, tiedEmbedding: Bool) {
        self.layers = layers
        self.hidden = hidden
        self.intermediate = intermediate
        self.heads = heads
        self.kvHeads = kvHeads
        self.contextLength = contextLength
        self.ropeTheta = ropeTheta
        self.rmsNormEps = rmsNormEps
        self.vocabularySize = vocabularySize
        self.tiedEmbedding = tiedEmbedding
    }

    public init(file: GGUFFile) throws(ModelFileError) {
        let arch = (try? file.string("general.architecture")) ?? "(none)"
        guard arch == "qwen2" else {
            throw ModelFileError(path: file.path, offset: nil, reason: "architecture '\(arch)' is not a Qwen2 language model (qwen2)")
        }
        guard let embedding = file.info("token_embd.weight"), embedding.shape.count == 2 else {
            throw ModelFileError(path: file.path, offset: nil, reason: "tensor token_embd.weight is missing or not a matrix")
        }
        self.init(layers: try file.int("qwen2.block_count"), hidden: try file.int("qwen2.embedding_length"),
                  intermediate: try file.int("qwen2.feed_forward_length"), heads: try file.int("qwen2.attention.head_count"),
                  kvHeads: try file.int("qwen2.attention.head_count_kv"), contextLength: try file.int("qwen2.context_length"),
                  ropeTheta: try file.float("qwen2.rope.freq_base"),
                  rmsNormEps: try file.float("qwen2.attention.layer_norm_rms_epsilon"),
                  vocabularySize: embedding.shape[0], tiedEmbedding: file.info("output.weight") == nil)
        guard layers > 0, heads > 0, kvHeads > 0, hidden % heads == 0, heads % kvHeads == 0, headDim % 2 == 0,
              embedding.shape[1] == hidden else {
            throw ModelFileError(path: file.path, offset: nil, reason: "inconsistent qwen2.* metadata (hidden \(hidden), heads \(heads)/\(kvHeads), embedding \(embedding.shape))")
        }
    }
}
