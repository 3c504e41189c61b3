/// `y = x W^T + b` with a few input channels in fp32 and the rest in int8 (LLM.int8()'s decomposition, with the
/// channels fixed by calibration instead of found per batch).
///
/// Per-token int8 gives every token one step, set by its largest value; when a few channels carry values far
/// above the rest, every other channel of that token loses precision. Here those channels are zeroed on the way
/// into the int8 quantiser (its per-channel multiplier is 0 there), so the step follows the remaining channels,
/// and their contribution is a small fp32 product over the gathered columns of x and W.
public struct OutlierSplitLinear: LinearLayer {
    public let inFeatures: Int
    public let outFeatures: Int
    public let channels: [Int]
    private let int8: QuantizedLinear
    private let outliers: Linear

    /// `weight` `[outFeatures, inFeatures]` row-major; `channels` the input channels kept in fp32.
    public init(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int, channels: [Int]) {
        precondition(!channels.isEmpty && channels.allSatisfy { (0..<inFeatures).contains($0) } && Set(channels).count == channels.count,
                     "OutlierSplitLinear: channels must be distinct inputs")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.channels = channels
        var rest = weight, columns = [Float](repeating: 0, count: outFeatures * channels.count)
        var multiplier = [Float](repeating: 1, count: inFeatures)
        for (j, c) in channels.enumerated() {
            multiplier[c] = 0
            for o in 0..<outFeatures {
                columns[o * channels.count + j] = weight[o * inFeatures + c]
                rest[o * inFeatures + c] = 0
            }
        }
        let q = Quantization.quantizeRows(rest, rows: outFeatures, cols: inFeatures)
        int8 = QuantizedLinear(weight: q.values, scales: q.scales, bias: bias, outFeatures: outFeatures,
                               inFeatures: inFeatures, inputScale: multiplier)
        outliers = Linear(weight: columns, bias: nil, outFeatures: outFeatures, inFeatures: channels.count)
    }

    public func forward(_ x: Tensor) -> Tensor {
        precondition(x.cols == inFeatures, "OutlierSplitLinear: input has \(x.cols) features, expected \(inFeatures)")
        var gathered = Tensor(zeros: [x.rows, channels.count])
        for r in 0..<x.rows {
            for (j, c) in channels.enumerated() { gathered.data[r * channels.count + j] = x.data[r * inFeatures + c] }
        }
        return int8.forward(x) + outliers.forward(gathered)
    }
}
