import RealModule

extension Tensor {
    /// `self + other` (same shape): the residual connection.
    public static func + (lhs: Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "add: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = lhs
        for i in out.data.indices { out.data[i] += rhs.data[i] }
        return out
    }

    /// Multiplies column `j` of every row by `scale[j]`.
    public func scalingChannels(by scale: [Float]) -> Tensor {
        precondition(scale.count == cols, "scalingChannels: \(scale.count) scales for \(cols) channels")
        var out = self
        let c = cols
        for r in 0..<rows {
            for j in 0..<c { out.data[r * c + j] *= scale[j] }
        }
        return out
    }

    /// `self + branch * scale` per channel: a residual connection through LayerScale, fused so the
    /// scaled branch is never materialised.
    public func addingScaled(_ branch: Tensor, channelScale scale: [Float]) -> Tensor {
        precondition(branch.shape == shape && scale.count == cols, "addingScaled: shapes \(shape), \(branch.shape), \(scale.count)")
        var out = self
        let c = cols
        for r in 0..<rows {
            for j in 0..<c {
                out.data[r * c + j] = Relaxed.multiplyAdd(branch.data[r * c + j], scale[j], out.data[r * c + j])
            }
        }
        return out
    }
}
