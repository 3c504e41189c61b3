import Tensor

/// Trains one head: standardises the features on the training rows, walks the L2 strengths from the
/// strongest down (each fit warm-started from the previous), keeps the one with the lowest holdout
/// log-loss, and refits it on all rows (training and holdout) for the model file.
struct HeadTrainer {
    let link: HeadObjective.Link
    let outputs: Int
    /// Candidate L2 strengths; one value skips the search.
    let lambdas: [Double]
    var optimizer = LBFGS()

    struct Result {
        /// Holdout logits `[holdout rows, outputs]` of the model fitted on the training rows.
        var holdoutLogits: Tensor?
        var lambda: Double
        var iterations: Int
        /// Heads on raw features, fitted on all rows.
        var weight: [Float]
        var bias: [Float]
    }

    /// `x` is the raw matrix `[?, f]`; `train` and `holdout` pick its rows; `targets(rows)` gives the
    /// objective's targets for rows in that order.
    func fit(x: [Float], features f: Int, train: [Int], holdout: [Int], targets: ([Int]) -> [Float]) -> Result {
        let standardizer = Standardizer(x: x, features: f, rows: train)
        func objective(_ rows: [Int], _ lambda: Double) -> HeadObjective {
            HeadObjective(link: link, x: Tensor(shape: [rows.count, f], data: standardizer.apply(x: x, features: f, rows: rows)),
                          outputs: outputs, targets: targets(rows), lambda: lambda)
        }
        let trainObjective = objective(train, lambdas[0])
        var theta = [Double](repeating: 0, count: trainObjective.parameterCount)
        var best: (loss: Double, lambda: Double, theta: [Double], logits: Tensor?) = (.infinity, lambdas[0], theta, nil)
        var iterations = 0
        let holdoutObjective = holdout.isEmpty ? nil : objective(holdout, 0)
        for lambda in lambdas.sorted(by: >) {
            let current = HeadObjective(link: link, x: trainObjective.x, outputs: outputs, targets: trainObjective.targets, lambda: lambda)
            let outcome = optimizer.minimize(from: theta) { current.evaluate($0, &$1) }
            theta = outcome.x
            iterations += outcome.iterations
            guard let holdoutObjective else {
                best = (outcome.loss, lambda, theta, nil)
                continue
            }
            let logits = holdoutObjective.logits(theta)
            let loss = holdoutObjective.likelihoodLoss(logits)
            if loss < best.loss { best = (loss, lambda, theta, logits) }
        }
        // The model file gets every labelled row, with the chosen strength, starting from the training fit.
        var finalTheta = best.theta
        if !holdout.isEmpty {
            let all = objective(train + holdout, best.lambda)
            let outcome = optimizer.minimize(from: best.theta) { all.evaluate($0, &$1) }
            finalTheta = outcome.x
            iterations += outcome.iterations
        }
        let (weight, bias) = standardizer.fold(finalTheta, outputs: outputs)
        return Result(holdoutLogits: best.logits, lambda: best.lambda, iterations: iterations, weight: weight, bias: bias)
    }
}
