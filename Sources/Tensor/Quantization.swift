/// Symmetric per-row int8 quantisation, the scheme of the model file's I8 weights.
///
/// Row `r` gets `scale[r] = max|x[r, :]| / 127` and `q = clamp(round(x / scale), -127, 127)` with
/// round-half-to-even in fp32, which is what numpy's `np.round(w / s)` does on float32 data, so a
/// converter written in numpy and this code produce the same bytes. An all-zero row gets scale 0 and
/// zero values. Dequantising gives `q * scale`, within `scale / 2` of the input per element.
///
/// (Activations are quantised at run time by the int8 GEMM in C, multiplying by `127 / max|x|` instead
/// of dividing; the two may differ by one step on values that land exactly next to a rounding tie.)
public enum Quantization {
    public static func quantizeRows(_ x: [Float], rows: Int, cols: Int) -> (values: [Int8], scales: [Float]) {
        precondition(x.count == rows * cols, "quantizeRows: \(x.count) values, expected \(rows)x\(cols)")
        var values = [Int8](repeating: 0, count: x.count)
        var scales = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let base = r * cols
            var absmax: Float = 0
            for c in 0..<cols { absmax = max(absmax, abs(x[base + c])) }
            guard absmax > 0, absmax.isFinite else { continue }
            let scale = absmax / 127
            scales[r] = scale
            for c in 0..<cols {
                let q = (x[base + c] / scale).rounded(.toNearestOrEven)
                values[base + c] = Int8(min(127, max(-127, q)))
            }
        }
        return (values, scales)
    }

    public static func dequantizeRows(_ values: [Int8], scales: [Float], rows: Int, cols: Int) -> [Float] {
        precondition(values.count == rows * cols && scales.count == rows,
                     "dequantizeRows: \(values.count) values and \(scales.count) scales, expected \(rows)x\(cols)")
        var out = [Float](repeating: 0, count: values.count)
        for r in 0..<rows {
            for c in 0..<cols { out[r * cols + c] = Float(values[r * cols + c]) * scales[r] }
        }
        return out
    }
}
