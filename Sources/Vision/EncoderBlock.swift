import Tensor

/// A pre-norm ViT encoder block, as DINOv2 and SigLIP share it: `x += attention(LN1(x))`, then
/// `x += fc2(GELU(fc1(LN2(x))))`, each branch scaled per channel when the model has LayerScale (DINOv2).
struct EncoderBlock: Sendable {
    let norm1: LayerNorm
    /// q, k and v fused into one GEMM, their outputs concatenated in that order.
    let qkv: any LinearLayer
    let out: any LinearLayer
    let layerScale1: [Float]?
    let norm2: LayerNorm
    let fc1: any LinearLayer
    let activation: GELU
    let fc2: any LinearLayer
    let layerScale2: [Float]?

    /// `x` is consumed so the residual additions update its storage in place. Attention is unmasked within
    /// each of `sequences` (one per image), with scale `1 / sqrt(head_dim)`.
    func forward(_ x: consuming Tensor, heads: Int, sequences: [Range<Int>], precision: AttentionPrecision,
                 clock: inout PartClock) -> Tensor {
        let dh = x.cols / heads
        let normed = norm1.forward(x)
        clock.mark(.other)
        let qkv = qkv.forward(normed)
        clock.mark(.linear)
        let attended = multiHeadAttention(qkv: qkv, heads: heads, sequences: sequences,
                                          scale: 1 / Float(dh).squareRoot(), precision: precision)
        clock.mark(.attention)
        let projected = out.forward(attended)
        clock.mark(.linear)
        let x = Self.residual(consume x, projected, layerScale1)
        let normed2 = norm2.forward(x)
        clock.mark(.other)
        let hidden = fc1.forward(normed2)
        clock.mark(.linear)
        let activated = activation(consume hidden)
        clock.mark(.other)
        let mlp = fc2.forward(activated)
        clock.mark(.linear)
        let result = Self.residual(consume x, mlp, layerScale2)
        clock.mark(.other)
        return result
    }

    private static func residual(_ x: consuming Tensor, _ branch: Tensor, _ scale: [Float]?) -> Tensor {
        guard let scale else { return consume x + branch }
        return (consume x).addingScaled(branch, channelScale: scale)
    }
}
