/// A fully connected layer `y = x W^T + b` applied to every row of `x` (`[rows, inFeatures]`).
///
/// fp32 (`Linear`) and int8 (`QuantizedLinear`) layers are interchangeable behind this protocol, so a
/// model is written once and its precision comes from the model file.
public protocol LinearLayer: Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    func forward(_ x: Tensor) -> Tensor
}
