import Tensor

/// Hyper-parameters of the text tower, read from the model file's `text.*` metadata.
public struct TextConfig: Sendable {
    public let vocabSize: Int
    public let hidden: Int
    public let layers: Int
    public let heads: Int
    public let intermediate: Int
    public let maxPositions: Int
    public let maxTokens: Int
    public let layerNormEps: Float

    public init(file: GGUFFile) throws(ModelFileError) {
        vocabSize = try file.int("text.vocab_size")
        hidden = try file.int("text.hidden")
        layers = try file.int("text.layers")
        heads = try file.int("text.heads")
        intermediate = try file.int("text.intermediate")
        maxPositions = try file.int("text.max_positions")
        maxTokens = try file.int("text.max_tokens")
        layerNormEps = try file.float("text.layer_norm_eps")
        guard hidden % heads == 0, maxTokens <= maxPositions else {
            throw ModelFileError(path: file.path, offset: nil, reason: "inconsistent text.* metadata")
        }
    }
}

/// A post-norm BERT encoder with sentence-transformers pooling (all-MiniLM-L6-v2): the mean of each text's
/// token states, L2-normalised. Texts of different lengths are packed into one batch without padding.
public struct TextEncoder: Sendable {
    struct Block: Sendable {
        let qkv: any LinearLayer
        let out: any LinearLayer
        let attentionNorm: LayerNorm
        let fc1: any LinearLayer
        let fc2: any LinearLayer
        let outputNorm: LayerNorm
    }

    public let config: TextConfig
    let tokenEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbedding: [Float]
    let embeddingNorm: LayerNorm
    let blocks: [Block]

    /// `dequantize` runs an int8 file's matrices in fp32.
    public init(file: GGUFFile, dequantize: Bool = false) throws(ModelFileError) {
        let c = try TextConfig(file: file)
        config = c
        tokenEmbeddings = try file.floats(tensor: "t.token_embd", shape: [c.vocabSize, c.hidden])
        positionEmbeddings = try file.floats(tensor: "t.pos_embd", shape: [c.maxPositions, c.hidden])
        // Single-segment inputs only ever use token type 0.
        typeEmbedding = Array(try file.floats(tensor: "t.type_embd").prefix(c.hidden))
        embeddingNorm = try file.layerNorm("t.embd_norm", eps: c.layerNormEps)
        blocks = try (0..<c.layers).map { i throws(ModelFileError) in
            let p = "t.blk.\(i)"
            return Block(
                qkv: try file.linear("\(p).attn.q", "\(p).attn.k", "\(p).attn.v", dequantize: dequantize),
                out: try file.linear("\(p).attn.out", dequantize: dequantize),
                attentionNorm: try file.layerNorm("\(p).attn_norm", eps: c.layerNormEps),
                fc1: try file.linear("\(p).mlp.fc1", dequantize: dequantize),
                fc2: try file.linear("\(p).mlp.fc2", dequantize: dequantize),
                outputNorm: try file.layerNorm("\(p).out_norm", eps: c.layerNormEps))
        }
    }

    /// Unit-length sentence embeddings `[texts, hidden]` for tokenised texts (ids include [CLS] and [SEP];
    /// longer inputs are cut at `maxTokens`). An empty id list embeds to zeros.
    public func embed(_ texts: [[Int32]]) -> Tensor {
        let ids = texts.map { Array($0.prefix(config.maxTokens)) }
        var sequences = [Range<Int>](), start = 0
        for t in ids { sequences.append(start ..< start + t.count); start += t.count }
        guard start > 0 else { return Tensor(zeros: [texts.count, config.hidden]) }
        var x = embeddings(ids)
        for block in blocks { x = forward(block, x, sequences) }
        return l2Normalized(meanPool(x, segments: sequences))
    }

    func embeddings(_ texts: [[Int32]]) -> Tensor {
        let d = config.hidden
        var x = [Float]()
        x.reserveCapacity(texts.reduce(0) { $0 + $1.count } * d)
        for ids in texts {
            for (position, id) in ids.enumerated() {
                precondition(id >= 0 && Int(id) < config.vocabSize, "token id \(id) outside the vocabulary")
                let token = Int(id)
                for j in 0..<d {
                    x.append(tokenEmbeddings[token * d + j] + positionEmbeddings[position * d + j] + typeEmbedding[j])
                }
            }
        }
        return embeddingNorm.forward(Tensor(shape: [x.count / d, d], data: x))
    }

    func forward(_ b: Block, _ x: Tensor, _ sequences: [Range<Int>]) -> Tensor {
        let dh = config.hidden / config.heads
        let attended = multiHeadAttention(qkv: b.qkv.forward(x), heads: config.heads, sequences: sequences,
                                          scale: 1 / Float(dh).squareRoot())
        let x = b.attentionNorm.forward(x + b.out.forward(attended))
        return b.outputNorm.forward(x + b.fc2.forward(GELU.erf(b.fc1.forward(x))))
    }
}
