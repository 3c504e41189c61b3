/// A fully connected layer `y = x W^T + b` applied to every row of `x` (`[rows, inFeatures]`).
///
/// fp32 (`Linear`) and int8 (`QuantizedLinear`) layers are interchangeable behind this protocol, so a
/// model is written once and its precision comes from the model file.
public protocol LinearLayer: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    func forward(_ x: Tensor) -> Tensor
    /// `forward(op(x))`. An int8 layer fuses `op` into its activation quantisation, with the same result.
    func forward(_ x: Tensor, after op: RowOp) -> Tensor
}

extension LinearLayer {
    public func forward(_ x: Tensor, after op: RowOp) -> Tensor { forward(op(x)) }
}
