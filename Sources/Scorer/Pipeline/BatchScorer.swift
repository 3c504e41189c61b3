/// What the pipeline carries from the prepare workers to the compute thread: anything that remembers its item.
public protocol PoolSample: Sendable {
    var item: PoolItem { get }
}

/// What the scoring pipeline drives: a thread-safe per-item preparation and a batched forward. The one-pass
/// student (`ScoringModel`) and the MLLM teacher (`TeacherScorer`) are both one.
///
/// A protocol rather than `ScoringModel` itself so that sharding, resume and error handling can be tested
/// with a deterministic stand-in, without the model's cost.
public protocol BatchScorer: Sendable {
    associatedtype Prepared: PoolSample
    /// Decodes and preprocesses one item; called concurrently from the prepare workers; never throws.
    func prepare(_ item: PoolItem, imagesRoot: String) -> Prepared
    /// Score rows in batch order; called from the compute thread only.
    func score(_ batch: [Prepared]) -> [ScoreRow]
}

extension PreparedSample: PoolSample {}
extension ScoringModel: BatchScorer {}
