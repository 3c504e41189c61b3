import Tensor

/// What `mmssr embed` drives: the scorer's per-item preparation and the heads' input features of a batch.
/// A protocol so sharding, resume and error rows can be tested with a deterministic stand-in.
public protocol BatchEmbedder: Sendable {
    /// The blocks of a feature vector (`heads.features` spelling).
    var featureLayout: [String] { get }
    /// Decodes and preprocesses one item; called concurrently; never throws.
    func prepare(_ item: PoolItem, imagesRoot: String) -> PreparedSample
    /// `[ok samples, features]`, in batch order, skipping samples with an error.
    func features(_ batch: [PreparedSample]) -> Tensor
}

extension ScoringModel: BatchEmbedder {
    public var featureLayout: [String] {
        FeatureLayout.descriptor(textDim: text.config.hidden, visionDim: vision.config.dim)
    }
}
