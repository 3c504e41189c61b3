/// An int8 layer whose input channels are divided by SmoothQuant factors before quantisation.
///
/// Outlier channels (BERT's post-LayerNorm states have a few) would otherwise set every token's int8 step;
/// the converter moved `s` into the weights (`W[:, c] * s[c]`), so `(x / s) W'^T = x W^T`.
public struct SmoothedLinear: LinearLayer {
    let inner: QuantizedLinear
    let inverseSmoothing: [Float]

    public init(_ inner: QuantizedLinear, smoothing: [Float]) {
        precondition(smoothing.count == inner.inFeatures, "SmoothedLinear: \(smoothing.count) factors for \(inner.inFeatures) inputs")
        self.inner = inner
        inverseSmoothing = smoothing.map { 1 / $0 }
    }

    public var inFeatures: Int { inner.inFeatures }
    public var outFeatures: Int { inner.outFeatures }

    public func forward(_ x: Tensor) -> Tensor {
        inner.forward(x.scalingChannels(by: inverseSmoothing))
    }
}
