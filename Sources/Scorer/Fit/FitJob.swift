/// What `mmssr fit` was asked to do.
public struct FitJob: Sendable {
    /// Features files (`mmssr embed` outputs, e.g. one per shard).
    public var features: [String]
    /// Teacher labels: a score table, a plain CSV/JSONL, or an official mmSSR folder.
    public var labels: String
    /// The fitted model file to write.
    public var output: String
    /// The model whose towers and metadata the fitted file copies.
    public var base: String
    /// Share of the labelled items held out for the L2 choice and the metrics; 0 trains on all.
    public var holdout = 0.2
    public var seed: UInt64 = 0
    /// A fixed L2 strength; nil searches `lambdaGrid` on the holdout.
    public var l2: Double?

    public static let lambdaGrid: [Double] = [1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001]
    /// Used when there is no holdout to choose with.
    public static let defaultLambda = 0.01

    public init(features: [String], labels: String, output: String, base: String) {
        self.features = features
        self.labels = labels
        self.output = output
        self.base = base
    }
}
