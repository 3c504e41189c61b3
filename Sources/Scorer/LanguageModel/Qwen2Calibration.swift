import Tensor

/// The int8 Qwen2 decoder's outlier channels, calibrated when the model is loaded from a file whose matrices
/// are dense or llama.cpp-quantised (a llama.cpp GGUF runs as it is, no conversion step).
///
/// Per-token int8 activations lose the small channels of a token whose few outlier channels set its step
/// (Qwen2.5-Coder-0.5B: top-1 agreement with fp32 95.3%). Every matrix here keeps the `outlierChannels` input
/// channels with the largest max|x| over the calibration text in fp32 (`OutlierSplitLinear`), the rest int8 per
/// token. The maxima come from an fp32 forward of `calibrationText`, one layer at a time: each layer's fp32
/// weights are held only while it is calibrated and quantised, so a 7B model never needs its fp32 copy in memory.
/// Measured by tools/simulate_qwen2_int8.py on the 0.5B (README "Measured on Qwen2.5-Coder-0.5B"): 4 channels
/// 97.5%, 8 97.7%; SmoothQuant (alpha 0.5 / 0.65, every matrix or q/k/v and gate/up) 95.1-96.3%, no better than
/// none; per-block activation scales (64 channels: 98.2%) would need new int8 GEMM kernels.
enum Qwen2Calibration {
    static let outlierChannels = 8

    /// Calibration text, disjoint from the evaluation text of tools/make_qwen2_reference.py: prose, question
    /// and answer turns, code and numbers, as the teacher's prompts mix them. tools/simulate_qwen2_int8.py
    /// reads it from this file, so the simulation calibrates on the same tokens.
    static let calibrationText = """
    Question: How many people are standing near the red car? Answer: Three people are standing near it.
    Question: What is written on the sign above the door? Answer: The sign says "Open 24 hours".
    Question: Which animal is larger in the picture, the horse or the dog? Answer: The horse.
    <|im_start|>system
    You are a helpful assistant.<|im_end|>
    <|im_start|>user
    Describe the image in detail, then rate its quality from 0 to 5.<|im_end|>
    <|im_start|>assistant
    The photograph shows a narrow street in an old town after rain: cobblestones reflect the light of two shop
    windows, a cyclist in a yellow jacket passes on the left, and a bakery's chalkboard lists bread at 3.20 EUR.
    The composition is balanced, the focus sharp, the exposure slightly dark in the corners. Rating: 4.<|im_end|>

    import json
    from collections import Counter

    def load_pool(path: str, limit: int = 1000) -> list[dict]:
        items = []
        with open(path, encoding="utf-8") as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    items.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise ValueError(f"{path}:{line_no}: {e}") from None
                if len(items) >= limit:
                    break
        return items

    counts = Counter(item["source"] for item in load_pool("pool.jsonl"))
    print(sorted(counts.items(), key=lambda kv: -kv[1])[:10])

    Table 3. Accuracy (%) on six benchmarks; 10% of the pool selected by each method, mean of 3 seeds.
    | method  | MMBench | MME    | SQA-I | TextVQA | POPE | ChartQA |
    | random  | 62.4    | 1402.7 | 68.1  | 51.9    | 84.3 | 40.2    |
    | ours    | 66.9    | 1488.2 | 71.5  | 55.0    | 86.1 | 45.8    |
    La ville est calme le dimanche matin ; les marchés ouvrent à huit heures. 图中有两只猫和一只狗。
    SELECT name, COUNT(*) AS n FROM samples WHERE score >= 4.5 GROUP BY name ORDER BY n DESC LIMIT 20;
    """
}

extension Qwen2 {
    /// The int8 blocks and head of a file with dense or llama.cpp matrices, their outlier channels (see
    /// `Qwen2Calibration`) from an fp32 forward of the calibration text through each layer in turn and the
    /// final norm. `head` is the output matrix's fp32 weight (the embedding when tied).
    static func calibratedLayers(file: GGUFFile, config c: Qwen2Configuration, embedding: [Float], rope: RotaryEmbedding,
                                 norm: RMSNorm, head: DenseMatrix) throws(ModelFileError) -> (blocks: [Block], head: any LinearLayer) {
        let tokens = try BPETokenizer(file: file).encode(Qwen2Calibration.calibrationText)
        let n = tokens.count, d = c.hidden
        var x = Tensor(zeros: [n, d])
        for (r, t) in tokens.enumerated() {
            x.data.replaceSubrange(r * d ..< (r + 1) * d, with: embedding[Int(t) * d ..< (Int(t) + 1) * d])
        }
        let positions = (0..<n).map { Int32($0) }
        let blocks = try (0..<c.layers).map { i throws(ModelFileError) in
            let p = "blk.\(i)"
            func dense(_ prefixes: [String], outFeatures: Int, inFeatures: Int) throws(ModelFileError) -> MaximumRecorder {
                let m = try file.denseMatrix(prefixes)
                guard m.outFeatures == outFeatures, m.inFeatures == inFeatures else {
                    throw ModelFileError(path: file.path, offset: nil, reason: "\(prefixes.joined(separator: "+")) is \(m.outFeatures)x\(m.inFeatures), expected \(outFeatures)x\(inFeatures)")
                }
                return MaximumRecorder(m)
            }
            let attentionNorm = try file.floats(tensor: "\(p).attn_norm.weight", shape: [d])
            let mlpNorm = try file.floats(tensor: "\(p).ffn_norm.weight", shape: [d])
            let qkv = try dense(["\(p).attn_q", "\(p).attn_k", "\(p).attn_v"], outFeatures: d + 2 * c.kvWidth, inFeatures: d)
            let output = try dense(["\(p).attn_output"], outFeatures: d, inFeatures: d)
            let gateUp = try dense(["\(p).ffn_gate", "\(p).ffn_up"], outFeatures: 2 * c.intermediate, inFeatures: d)
            let down = try dense(["\(p).ffn_down"], outFeatures: d, inFeatures: c.intermediate)
            let calibrating = Block(attentionNorm: RMSNorm(weight: attentionNorm, eps: c.rmsNormEps), qkv: qkv, output: output,
                                    mlpNorm: RMSNorm(weight: mlpNorm, eps: c.rmsNormEps), gateUp: gateUp, down: down)
            let cache = KVCache(layers: 1, rowWidth: c.kvWidth, capacity: n)
            x = calibrating.forward(x, layer: 0, config: c, rope: rope, positions: positions,
                                    sequences: [CausalSequence(rows: 0..<n, cache: cache, prefix: nil)])

            return Block(attentionNorm: RMSNorm(weight: attentionNorm, eps: c.rmsNormEps), qkv: qkv.int8(),
                         output: output.int8(), mlpNorm: RMSNorm(weight: mlpNorm, eps: c.rmsNormEps),
                         gateUp: gateUp.int8(), down: down.int8())
        }
        // The head too: its int8 input lost top-1 agreement at positions whose two best logits are close.
        let headRecorder = MaximumRecorder(head)
        headRecorder.record(norm.forward(x))
        return (blocks, headRecorder.int8())
    }
}

/// An fp32 layer that keeps max |x_c| of every input channel it has seen (the calibration forward).
/// Invariant for `@unchecked Sendable`: used by the one thread that loads the model, never shared.
final class MaximumRecorder: LinearLayer, @unchecked Sendable {
    let matrix: DenseMatrix
    private let layer: Linear
    private(set) var maxima: [Float]

    init(_ matrix: DenseMatrix) {
        self.matrix = matrix
        layer = Linear(weight: matrix.weight, bias: matrix.bias, outFeatures: matrix.outFeatures, inFeatures: matrix.inFeatures)
        maxima = [Float](repeating: 0, count: matrix.inFeatures)
    }

    var inFeatures: Int { matrix.inFeatures }
    var outFeatures: Int { matrix.outFeatures }

    func forward(_ x: Tensor) -> Tensor {
        record(x)
        return layer.forward(x)
    }

    /// Takes in the channel maxima of `x` without running the layer.
    func record(_ x: Tensor) {
        for (i, v) in x.data.enumerated() { maxima[i % inFeatures] = max(maxima[i % inFeatures], abs(v)) }
    }

    /// The int8 layer with the largest-maximum channels seen so far in fp32.
    func int8() -> OutlierSplitLinear {
        let channels = maxima.indices.sorted { (maxima[$0], $1) > (maxima[$1], $0) }.prefix(Qwen2Calibration.outlierChannels)
        return OutlierSplitLinear(weight: matrix.weight, bias: matrix.bias, outFeatures: outFeatures, inFeatures: inFeatures,
                                  channels: channels.sorted())
    }
}
