import CBLAS
import Foundation
import Tensor

/// The training loss of one linear head on standardised features `x` `[n, f]`: the mean negative
/// log-likelihood plus `lambda / 2 * |W|^2` (the bias is not penalised).
/// - `softmax`: one `k`-way softmax, `targets` holds the class per row (a capability's score 0...5);
/// - `sigmoid`: `k` independent logistic outputs, `targets` holds `k` 0/1 values per row (the styles).
/// Parameters are `W` `[k, f]` row-major, then `b` `[k]`. Products run on OpenBLAS through `Linear`.
struct HeadObjective {
    enum Link { case softmax, sigmoid }

    let link: Link
    let x: Tensor
    let outputs: Int
    let targets: [Float]
    let lambda: Double

    var features: Int { x.cols }
    var parameterCount: Int { outputs * (features + 1) }

    /// `[n, k]` logits for parameters `theta`.
    func logits(_ theta: [Double]) -> Tensor {
        let f = features, k = outputs
        let weight = theta[0..<(k * f)].map { Float($0) }, bias = theta[(k * f)...].map { Float($0) }
        return Linear(weight: weight, bias: bias, outFeatures: k, inFeatures: f).forward(x)
    }

    /// Mean negative log-likelihood of `z` (no penalty); writes d loss / d z into `dz` when given.
    func likelihoodLoss(_ z: Tensor, dz: UnsafeMutablePointer<Float>? = nil) -> Double {
        let n = x.rows, k = outputs
        let inverse = 1 / Double(max(n, 1))
        var loss = 0.0
        var p = [Double](repeating: 0, count: k)
        for r in 0..<n {
            let row = r * k
            switch link {
            case .softmax:
                var m = -Double.infinity
                for j in 0..<k { m = max(m, Double(z.data[row + j])) }
                var sum = 0.0
                for j in 0..<k { p[j] = Foundation.exp(Double(z.data[row + j]) - m); sum += p[j] }
                let target = Int(targets[r])
                loss += m + Foundation.log(sum) - Double(z.data[row + target])
                if let dz {
                    for j in 0..<k { dz[row + j] = Float((p[j] / sum - (j == target ? 1 : 0)) * inverse) }
                }
            case .sigmoid:
                for j in 0..<k {
                    let v = Double(z.data[row + j]), t = Double(targets[row + j])
                    // softplus(v) - t v, computed without overflow.
                    loss += max(v, 0) + Foundation.log1p(Foundation.exp(-abs(v))) - t * v
                    if let dz { dz[row + j] = Float((1 / (1 + Foundation.exp(-v)) - t) * inverse) }
                }
            }
        }
        return loss * inverse
    }

    /// Loss and gradient at `theta`.
    func evaluate(_ theta: [Double], _ gradient: inout [Double]) -> Double {
        let n = x.rows, f = features, k = outputs
        let z = logits(theta)
        var dz = [Float](repeating: 0, count: n * k)
        var loss = dz.withUnsafeMutableBufferPointer { likelihoodLoss(z, dz: $0.baseAddress!) }
        // dW = dz^T x, in column blocks of x so the workers write disjoint parts.
        var dw = [Float](repeating: 0, count: k * f)
        x.data.withUnsafeBufferPointer { xs in
            dz.withUnsafeBufferPointer { ds in
                dw.withUnsafeMutableBufferPointer { ws in
                    let xp = UncheckedSendable(xs.baseAddress!), dp = UncheckedSendable(ds.baseAddress!), wp = UncheckedSendable(ws.baseAddress!)
                    Parallel.forRanges(f, minPerChunk: 64) { cols in
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(k), Int32(cols.count), Int32(n),
                                    1, dp.value, Int32(k), xp.value + cols.lowerBound, Int32(f), 0, wp.value + cols.lowerBound, Int32(f))
                    }
                }
            }
        }
        var penalty = 0.0
        for i in 0..<(k * f) {
            let w = theta[i]
            penalty += w * w
            gradient[i] = Double(dw[i]) + lambda * w
        }
        for j in 0..<k {
            var sum = 0.0
            for r in 0..<n { sum += Double(dz[r * k + j]) }
            gradient[k * f + j] = sum
        }
        loss += lambda / 2 * penalty
        return loss
    }
}
