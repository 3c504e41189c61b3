import CBLAS

/// Rotary position embedding in the rotate-half (NeoX) form, with transformers' fp32 frequencies.
public struct RotaryEmbedding: Sendable {
    public let headDim: Int
    let inverseFrequencies: [Float]

    public init(headDim: Int, theta: Float) {
        self.headDim = headDim
        var inv = [Float](repeating: 0, count: headDim / 2)
        mmssr_rope_inv_freq(theta, headDim, &inv)
        inverseFrequencies = inv
    }

    /// Rotates `heads` heads starting at column `firstColumn` of every row of `x`, row r at `positions[r]`.
    public func apply(_ x: inout Tensor, firstColumn: Int, heads: Int, positions: [Int32]) {
        precondition(positions.count == x.rows && firstColumn + heads * headDim <= x.cols, "RoPE: shape mismatch")
        let cols = x.cols
        x.data.withUnsafeMutableBufferPointer { d in
            mmssr_rope_neox(d.baseAddress! + firstColumn, cols, positions.count, heads, headDim, positions, inverseFrequencies)
        }
    }
}
