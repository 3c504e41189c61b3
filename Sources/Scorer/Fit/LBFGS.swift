/// Limited-memory BFGS with a backtracking (Armijo) line search, for the smooth convex losses of the heads.
/// Deterministic: no randomness, fixed iteration order.
struct LBFGS {
    var memory = 10
    var maxIterations = 200
    /// Stop when the gradient's largest entry falls below this.
    var gradientTolerance = 1e-5
    /// Stop when an iteration improves the loss by less than this, relative to the loss.
    var relativeTolerance = 1e-9

    struct Outcome {
        var x: [Double]
        var loss: Double
        var iterations: Int
    }

    /// Minimises `f`, which returns the loss at x and writes its gradient.
    func minimize(from start: [Double], _ f: (_ x: [Double], _ gradient: inout [Double]) -> Double) -> Outcome {
        let n = start.count
        var x = start
        var g = [Double](repeating: 0, count: n)
        var loss = f(x, &g)
        var s: [[Double]] = [], y: [[Double]] = [], rho: [Double] = []
        var iteration = 0
        while iteration < maxIterations {
            if g.reduce(0, { max($0, abs($1)) }) < gradientTolerance { break }
            iteration += 1
            // Two-loop recursion: d = -H g.
            var q = g
            var alpha = [Double](repeating: 0, count: s.count)
            for i in s.indices.reversed() {
                alpha[i] = rho[i] * dot(s[i], q)
                axpy(-alpha[i], y[i], &q)
            }
            if let last = s.indices.last {
                let scale = dot(s[last], y[last]) / dot(y[last], y[last])
                for i in 0..<n { q[i] *= scale }
            } else {
                let norm = dot(g, g).squareRoot()
                for i in 0..<n { q[i] /= max(norm, 1) }
            }
            for i in s.indices {
                let beta = rho[i] * dot(y[i], q)
                axpy(alpha[i] - beta, s[i], &q)
            }
            var direction = q.map { -$0 }
            var slope = dot(g, direction)
            if slope >= 0 {
                // Not a descent direction (numerical trouble): restart from steepest descent.
                s.removeAll(); y.removeAll(); rho.removeAll()
                direction = g.map { -$0 / max(dot(g, g).squareRoot(), 1) }
                slope = dot(g, direction)
            }
            var step = 1.0, accepted = false
            var trial = x, trialGradient = g, trialLoss = loss
            for _ in 0..<40 {
                for i in 0..<n { trial[i] = x[i] + step * direction[i] }
                trialLoss = f(trial, &trialGradient)
                if trialLoss <= loss + 1e-4 * step * slope { accepted = true; break }
                step *= 0.5
            }
            guard accepted else { break }
            var sk = [Double](repeating: 0, count: n), yk = sk
            for i in 0..<n { sk[i] = trial[i] - x[i]; yk[i] = trialGradient[i] - g[i] }
            let sy = dot(sk, yk)
            if sy > 1e-12 {
                s.append(sk); y.append(yk); rho.append(1 / sy)
                if s.count > memory { s.removeFirst(); y.removeFirst(); rho.removeFirst() }
            }
            let improvement = loss - trialLoss
            x = trial
            g = trialGradient
            loss = trialLoss
            if improvement <= relativeTolerance * max(abs(loss), 1) { break }
        }
        return Outcome(x: x, loss: loss, iterations: iteration)
    }

    private func dot(_ a: [Double], _ b: [Double]) -> Double {
        var sum = 0.0
        for i in a.indices { sum += a[i] * b[i] }
        return sum
    }

    private func axpy(_ a: Double, _ x: [Double], _ y: inout [Double]) {
        for i in x.indices { y[i] += a * x[i] }
    }
}
