/// What the scoring pipeline drives: a thread-safe per-item preparation and a batched forward.
///
/// A protocol rather than `ScoringModel` itself so that sharding, resume and error handling can be tested
/// with a deterministic stand-in, without the model's cost.
public protocol BatchScorer: Sendable {
    /// Decodes and preprocesses one item; called concurrently from the prepare workers; never throws.
    func prepare(_ item: PoolItem, imagesRoot: String) -> PreparedSample
    /// Score rows in batch order; called from the compute thread only.
    func score(_ batch: [PreparedSample]) -> [ScoreRow]
}

extension ScoringModel: BatchScorer {}
