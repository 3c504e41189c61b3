import CBLAS

/// The op that produces a linear layer's input, row by row. An int8 layer fuses it into its activation
/// quantisation (`LinearLayer.forward(_:after:)`): each row's result is quantised while still in L1, so the
/// op's fp32 output never goes through memory. The integers are those of running the op first.
public enum RowOp: Sendable {
    case layerNorm(LayerNorm)
    case gelu(GELU)

    /// The op on its own.
    public func callAsFunction(_ x: consuming Tensor) -> Tensor {
        switch self {
        case .layerNorm(let norm): norm.forward(x)
        case .gelu(let gelu): gelu(x)
        }
    }

    /// `body` with the C description of this op (its arrays pinned for the call).
    func withDescriptor<R>(_ body: (UnsafePointer<mmssr_row_op>) -> R) -> R {
        switch self {
        case .layerNorm(let norm):
            return norm.weight.withUnsafeBufferPointer { w in
                norm.bias.withUnsafeBufferPointer { b in
                    var op = mmssr_row_op(kind: Int32(MMSSR_ROWS_LAYERNORM.rawValue), weight: w.baseAddress,
                                          bias: b.baseAddress, eps: norm.eps)
                    return body(&op)
                }
            }
        case .gelu(let gelu):
            let kind = gelu == .erf ? MMSSR_ROWS_GELU_ERF : MMSSR_ROWS_GELU_TANH
            var op = mmssr_row_op(kind: Int32(kind.rawValue), weight: nil, bias: nil, eps: 0)
            return body(&op)
        }
    }

    /// The feature count the op expects, when it fixes one.
    var features: Int? {
        switch self {
        case .layerNorm(let norm): norm.weight.count
        case .gelu: nil
        }
    }
}
