import Dispatch
import CBLAS
import Tensor

/// What one sequence of a batched forward brings: its new tokens, the cache they extend, and an optional
/// shared prefix (a cache filled once) that its tokens follow.
///
/// A negative token stands for a row of `embeddings` instead of a vocabulary row: `-1 - k` is row k. That is
/// how an image's projected features take the place of its placeholder (LLaVA's splice) while positions,
/// caches and shared prefixes stay token-shaped.
public struct LMSequence: Sendable {
    public let tokens: [Int32]
    public let cache: KVCache
    public let prefix: KVCache?
    public let embeddings: Tensor?

    public init(tokens: [Int32], cache: KVCache, prefix: KVCache? = nil, embeddings: Tensor? = nil) {
        self.tokens = tokens
        self.cache = cache
        self.prefix = prefix
        self.embeddings = embeddings
    }

    /// The tokens `[-1, -2, ..., -rows]`: every row of an embeddings tensor, in order.
    public static func embeddingTokens(rows: Int) -> [Int32] { (0..<rows).map { -1 - Int32($0) } }

    /// Position of the first new token: everything the prefix and the cache hold comes before it.
    var firstPosition: Int { (prefix?.count ?? 0) + cache.count }
}

/// The Qwen2 decoder (Hugging Face `Qwen2ForCausalLM`) as the model file describes it.
///
/// Matrices run in int8 (weights per output channel, activations per token) or fp32. llama.cpp's quantised
/// tensors are dequantised at load, then quantised per output channel for the int8 path.
public struct Qwen2: Sendable {
    struct Block: Sendable {
        let attentionNorm: RMSNorm
        let qkv: any LinearLayer
        let output: any LinearLayer
        let mlpNorm: RMSNorm
        let gateUp: any LinearLayer
        let down: any LinearLayer
    }

    public let config: Qwen2Configuration
    public let precision: String
    let embedding: [Float]
    let blocks: [Block]
    let norm: RMSNorm
    let head: any LinearLayer
    let rope: RotaryEmbedding

    /// `fp32` runs every matrix in fp32; otherwise int8.
    public init(file: GGUFFile, fp32: Bool = false) throws(ModelFileError) {
        let c = try Qwen2Configuration(file: file)
        config = c
        precision = fp32 ? "f32" : "int8"
        func linear(_ prefixes: [String], outFeatures: Int, inFeatures: Int) throws(ModelFileError) -> any LinearLayer {
            let layer = try file.linearLayer(prefixes, dequantize: fp32, quantizeDense: !fp32)
            guard layer.outFeatures == outFeatures, layer.inFeatures == inFeatures else {
                throw ModelFileError(path: file.path, offset: nil, reason: "\(prefixes.joined(separator: "+")) is \(layer.outFeatures)x\(layer.inFeatures), expected \(outFeatures)x\(inFeatures)")
            }
            return layer
        }
        func rmsNorm(_ name: String) throws(ModelFileError) -> RMSNorm {
            RMSNorm(weight: try file.floats(tensor: name, shape: [c.hidden]), eps: c.rmsNormEps)
        }
        embedding = try file.floats(tensor: "token_embd.weight")
        rope = RotaryEmbedding(headDim: c.headDim, theta: c.ropeTheta)
        norm = try rmsNorm("output_norm.weight")
        if !fp32, let q = file.info("blk.0.attn_q.weight"), q.type != .i8 {
            let headMatrix = c.tiedEmbedding
                ? DenseMatrix(weight: embedding, bias: nil, outFeatures: c.vocabularySize, inFeatures: c.hidden)
                : try file.denseMatrix(["output"])
            guard headMatrix.outFeatures == c.vocabularySize, headMatrix.inFeatures == c.hidden else {
                throw ModelFileError(path: file.path, offset: nil, reason: "output is \(headMatrix.outFeatures)x\(headMatrix.inFeatures), expected \(c.vocabularySize)x\(c.hidden)")
            }
            (blocks, head) = try Self.calibratedLayers(file: file, config: c, embedding: embedding, rope: rope, norm: norm,
                                                       head: headMatrix)
        } else {
            blocks = try Self.fileBlocks(file: file, config: c, linear: linear, rmsNorm: rmsNorm)
            head = c.tiedEmbedding
                ? Self.dense(weight: embedding, bias: nil, outFeatures: c.vocabularySize, inFeatures: c.hidden, fp32: fp32)
                : try linear(["output"], outFeatures: c.vocabularySize, inFeatures: c.hidden)
        }
    }

    /// The blocks as the file stores them: fp32, or int8 from an mmssr int8 file (quantised by its converter).
    static func fileBlocks(file: GGUFFile, config c: Qwen2Configuration,
                           linear: ([String], Int, Int) throws(ModelFileError) -> any LinearLayer,
                           rmsNorm: (String) throws(ModelFileError) -> RMSNorm) throws(ModelFileError) -> [Block] {
        try (0..<c.layers).map { i throws(ModelFileError) in
            let p = "blk.\(i)"
            return Block(
                attentionNorm: try rmsNorm("\(p).attn_norm.weight"),
                qkv: try linear(["\(p).attn_q", "\(p).attn_k", "\(p).attn_v"], c.hidden + 2 * c.kvWidth, c.hidden),
                output: try linear(["\(p).attn_output"], c.hidden, c.hidden),
                mlpNorm: try rmsNorm("\(p).ffn_norm.weight"),
                gateUp: try linear(["\(p).ffn_gate", "\(p).ffn_up"], 2 * c.intermediate, c.hidden),
                down: try linear(["\(p).ffn_down"], c.hidden, c.intermediate))
        }
    }

    /// A model from random weights with the given shapes (benchmarks: no file needed).
    public init(randomWeights c: Qwen2Configuration, fp32: Bool = false, seed: UInt64 = 1) {
        config = c
        precision = fp32 ? "f32" : "int8"
        var rng = SplitMix64(seed: seed)
        func values(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in Float.random(in: -scale...scale, using: &rng) } }
        func linear(_ out: Int, _ inp: Int, bias: Bool) -> any LinearLayer {
            Self.dense(weight: values(out * inp, 1 / Float(inp).squareRoot()), bias: bias ? values(out, 0.02) : nil,
                       outFeatures: out, inFeatures: inp, fp32: fp32)
        }
        func rmsNorm() -> RMSNorm { RMSNorm(weight: values(c.hidden, 0.1).map { 1 + $0 }, eps: c.rmsNormEps) }
        embedding = values(c.vocabularySize * c.hidden, 0.05)
        blocks = (0..<c.layers).map { _ in
            Block(attentionNorm: rmsNorm(), qkv: linear(c.hidden + 2 * c.kvWidth, c.hidden, bias: true),
                  output: linear(c.hidden, c.hidden, bias: false), mlpNorm: rmsNorm(),
                  gateUp: linear(2 * c.intermediate, c.hidden, bias: false), down: linear(c.hidden, c.intermediate, bias: false))
        }
        norm = rmsNorm()
        head = Self.dense(weight: embedding, bias: nil, outFeatures: c.vocabularySize, inFeatures: c.hidden, fp32: fp32)
        rope = RotaryEmbedding(headDim: c.headDim, theta: c.ropeTheta)
    }

    /// A layer over fp32 weights: fp32, or quantised per output channel for the int8 path.
    static func dense(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, fp32: Bool) -> any LinearLayer {
        fp32 ? Linear(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
             : QuantizedLinear.quantizing(weight: weight, bias: bias, outFeatures: outFeatures, inFeatures: inFeatures)
    }

    /// A cache for one sequence of up to `tokens` tokens.
    public func makeCache(reserving tokens: Int = 64) -> KVCache {
        KVCache(layers: config.layers, rowWidth: config.kvWidth, capacity: tokens)
    }

    /// Runs every sequence's new tokens as one batch (one GEMM per matrix for all their rows), appends their
    /// keys and values to their caches, and returns the final-norm hidden states `[total new tokens, hidden]`
    /// in sequence order. Each sequence's rows depend only on its own tokens, cache and prefix.
    public func forward(_ sequences: [LMSequence]) -> Tensor {
        var rows = [Range<Int>](), positions = [Int32]()
        for s in sequences {
            let start = rows.last?.upperBound ?? 0
            rows.append(start ..< start + s.tokens.count)
            positions += (0..<s.tokens.count).map { Int32(s.firstPosition + $0) }
        }
        let attention = zip(sequences, rows).map { CausalSequence(rows: $1, cache: $0.cache, prefix: $0.prefix) }
        var x = embed(sequences)
        for (layer, block) in blocks.enumerated() {
            x = block.forward(consume x, layer: layer, config: config, rope: rope, positions: positions, sequences: attention)
        }
        for s in sequences { s.cache.commit(s.tokens.count) }
        return norm.forward(x)
    }

    /// Logits `[rows, vocabulary]` of final hidden states.
    public func logits(_ hidden: Tensor) -> Tensor { head.forward(hidden) }

    func embed(_ sequences: [LMSequence]) -> Tensor {
        let d = config.hidden
        var x = Tensor(zeros: [sequences.reduce(0) { $0 + $1.tokens.count }, d])
        var r = 0
        for s in sequences {
            for t in s.tokens {
                if t >= 0 {
                    precondition(Int(t) < config.vocabularySize, "token id \(t) outside the vocabulary")
                    x.data.replaceSubrange(r * d ..< (r + 1) * d, with: embedding[Int(t) * d ..< (Int(t) + 1) * d])
                } else {
                    guard let e = s.embeddings, Int(-1 - t) < e.rows, e.cols == d else {
                        preconditionFailure("token \(t) names an embeddings row the sequence does not bring")
                    }
                    x.data.replaceSubrange(r * d ..< (r + 1) * d, with: e.row(Int(-1 - t)))
                }
                r += 1
            }
        }
        return x
    }
}

extension Qwen2.Block {
    /// One decoder layer over `x` (the residual stream): attention, then the MLP, each pre-normed.
    func forward(_ x: consuming Tensor, layer: Int, config: Qwen2Configuration, rope: RotaryEmbedding,
                 positions: [Int32], sequences: [CausalSequence]) -> Tensor {
        var h = x
        h = h + attention(attentionNorm.forward(h), layer: layer, config: config, rope: rope, positions: positions,
                          sequences: sequences)
        return h + mlp(mlpNorm.forward(h), config: config)
    }

    func attention(_ x: Tensor, layer: Int, config c: Qwen2Configuration, rope: RotaryEmbedding, positions: [Int32],
                   sequences: [CausalSequence]) -> Tensor {
        var qkv = self.qkv.forward(x)
        rope.apply(&qkv, firstColumn: 0, heads: c.heads, positions: positions)
        rope.apply(&qkv, firstColumn: c.hidden, heads: c.kvHeads, positions: positions)
        let heads = causalAttention(qkv: qkv, layer: layer, heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim,
                                    sequences: sequences)
        return output.forward(heads)
    }

    func mlp(_ x: Tensor, config: Qwen2Configuration) -> Tensor {
        let gateUp = self.gateUp.forward(x)
        let n = config.intermediate, rows = x.rows
        var act = Tensor(zeros: [rows, n])
        gateUp.data.withUnsafeBufferPointer { g in
            act.data.withUnsafeMutableBufferPointer { o in
                mmssr_silu_mul(g.baseAddress!, 2 * n, g.baseAddress! + n, 2 * n, rows, n, o.baseAddress!, n)
            }
        }
        return down.forward(act)
    }
}

extension Qwen2 {
    /// Seconds and integer (or float) operations of every matrix of the model run alone on a `rows`-row input:
    /// the GEMMs of a prefill of that many tokens, without the head (a prefill needs one row of logits).
    public func timeLinearLayers(rows: Int) -> (seconds: Double, ops: Double) {
        var seconds = 0.0, ops = 0.0
        var inputs = [Int: Tensor]()
        for b in blocks {
            for layer in [b.qkv, b.output, b.gateUp, b.down] {
                let x = inputs[layer.inFeatures] ?? Tensor(shape: [rows, layer.inFeatures],
                                                          data: (0..<(rows * layer.inFeatures)).map { Float(($0 * 7919) % 201) / 100 - 1 })
                inputs[layer.inFeatures] = x
                let start = DispatchTime.now().uptimeNanoseconds
                _ = layer.forward(x)
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                ops += 2 * Double(rows) * Double(layer.inFeatures) * Double(layer.outFeatures)
            }
        }
        return (seconds, ops)
    }
}
