/// Per-feature centring and scaling fitted on the training rows: the optimiser sees well-conditioned
/// inputs, and the learnt weights fold back into weights on the raw features, so the model file needs no
/// extra step. A feature constant on the training rows keeps scale 1 (its weight is driven to 0 by L2).
struct Standardizer {
    let mean: [Float]
    let scale: [Float]

    /// Statistics of `rows` of the raw matrix `x` `[?, f]`.
    init(x: [Float], features f: Int, rows: [Int]) {
        var sum = [Double](repeating: 0, count: f), squares = sum
        for r in rows {
            let base = r * f
            for j in 0..<f {
                let v = Double(x[base + j])
                sum[j] += v
                squares[j] += v * v
            }
        }
        let n = Double(max(rows.count, 1))
        mean = sum.map { Float($0 / n) }
        scale = zip(sum, squares).map { s, q in
            let variance = max(q / n - (s / n) * (s / n), 0)
            return variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
    }

    /// The standardised copy of `rows` of `x`, `[rows.count, f]`.
    func apply(x: [Float], features f: Int, rows: [Int]) -> [Float] {
        var out = [Float](repeating: 0, count: rows.count * f)
        for (i, r) in rows.enumerated() {
            for j in 0..<f { out[i * f + j] = (x[r * f + j] - mean[j]) / scale[j] }
        }
        return out
    }

    /// Weights `[k, f]` and biases `[k]` on standardised features (`theta` as `HeadObjective` lays it out)
    /// turned into weights and biases on raw features: `w / scale` and `b - sum(w * mean / scale)`.
    func fold(_ theta: [Double], outputs k: Int) -> (weight: [Float], bias: [Float]) {
        let f = mean.count
        var weight = [Float](repeating: 0, count: k * f), bias = [Float](repeating: 0, count: k)
        for o in 0..<k {
            var b = theta[k * f + o]
            for j in 0..<f {
                let w = theta[o * f + j] / Double(scale[j])
                weight[o * f + j] = Float(w)
                b -= w * Double(mean[j])
            }
            bias[o] = Float(b)
        }
        return (weight, bias)
    }
}
