import CBLAS

public enum GELU: Sendable {
    /// `x * Phi(x)` with the exact normal CDF (PyTorch's default; DINOv2 and BERT use it).
    case erf
    /// The tanh approximation.
    case tanh

    public func callAsFunction(_ x: consuming Tensor) -> Tensor {
        var out = consume x
        out.data.withUnsafeMutableBufferPointer { buf in
            let p = UncheckedSendable(buf.baseAddress!)
            let form = self
            Parallel.forRanges(buf.count, minPerChunk: 1 << 14) { r in
                switch form {
                case .erf: mmssr_gelu_erf(p.value + r.lowerBound, r.count)
                case .tanh: mmssr_gelu_tanh(p.value + r.lowerBound, r.count)
                }
            }
        }
        return out
    }
}

/// Numerically stable softmax over the last dimension.
public func softmax(_ x: consuming Tensor) -> Tensor {
    let (rows, cols) = (x.rows, x.cols)
    var out = consume x
    out.data.withUnsafeMutableBufferPointer { buf in
        let p = UncheckedSendable(buf.baseAddress!)
        Parallel.forRanges(rows, minPerChunk: 64) { r in
            mmssr_softmax_rows(p.value + r.lowerBound * cols, r.count, cols)
        }
    }
    return out
}
