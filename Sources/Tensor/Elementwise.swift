import RealModule

extension Tensor {
    /// `self + other` (same shape): the residual connection.
    public static func + (lhs: consuming Tensor, rhs: Tensor) -> Tensor {
        precondition(lhs.shape == rhs.shape, "add: shapes \(lhs.shape) and \(rhs.shape) differ")
        var out = consume lhs
        rhs.data.withUnsafeBufferPointer { o in
            let other = UncheckedSendable(o.baseAddress!)
            out.updateRows { row, r, c in
                let src = other.value + r * c
                for j in 0..<c { row[j] += src[j] }
            }
        }
        return out
    }

    /// Multiplies column `j` of every row by `scale[j]`.
    public consuming func scalingChannels(by scale: [Float]) -> Tensor {
        precondition(scale.count == cols, "scalingChannels: \(scale.count) scales for \(cols) channels")
        var out = consume self
        scale.withUnsafeBufferPointer { s in
            let factors = UncheckedSendable(s.baseAddress!)
            out.updateRows { row, _, c in
                for j in 0..<c { row[j] *= factors.value[j] }
            }
        }
        return out
    }

    /// `self + branch * scale` per channel: a residual connection through LayerScale, fused so the
    /// scaled branch is never materialised.
    public consuming func addingScaled(_ branch: Tensor, channelScale scale: [Float]) -> Tensor {
        precondition(branch.shape == shape && scale.count == cols, "addingScaled: shapes \(shape), \(branch.shape), \(scale.count)")
        var out = consume self
        branch.data.withUnsafeBufferPointer { b in
            scale.withUnsafeBufferPointer { s in
                let p = UncheckedSendable((b.baseAddress!, s.baseAddress!))
                out.updateRows { row, r, c in
                    let (b, s) = p.value
                    let src = b + r * c
                    for j in 0..<c { row[j] = Relaxed.multiplyAdd(src[j], s[j], row[j]) }
                }
            }
        }
        return out
    }

    /// Runs `body(row, rowIndex, cols)` on every row of the storage, rows split across workers (each worker
    /// writes only its own rows).
    private mutating func updateRows(_ body: (UnsafeMutablePointer<Float>, Int, Int) -> Void) {
        let c = cols
        let n = rows
        data.withUnsafeMutableBufferPointer { d in
            let base = UncheckedSendable(d.baseAddress!)
            Parallel.forRanges(n, minPerChunk: 64) { r in
                for i in r { body(base.value + i * c, i, c) }
            }
        }
    }
}
