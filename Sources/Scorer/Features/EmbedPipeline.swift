import Tensor

/// `mmssr embed`: the score pipeline's stages (streaming read, parallel prepare, batched forward, ordered
/// writes, shards, resume) with the heads' input vectors as the result instead of scores.
public final class EmbedPipeline {
    private let embedder: any BatchEmbedder
    private let job: ScoreJob
    private let progress: ProgressReporter?

    /// `job.output` is the features file; `job.scorerIdentity` names the model in its header and fingerprint.
    public init(embedder: any BatchEmbedder, job: ScoreJob, progress: ProgressReporter? = nil) {
        self.embedder = embedder
        self.job = job
        self.progress = progress
    }

    /// Where a run writing `output` grows the file until it is complete.
    public static func partialPath(output: String) -> String { FeatureOutputs.partialPath(output: output) }

    public func run() throws(PipelineError) -> ScoreSummary {
        let (embedder, job) = (self.embedder, self.job)
        let layout = embedder.featureLayout
        return try ScorePipeline.stream(job: job, progress: progress, prepare: embedder.prepare, compute: { batch in
            Self.rows(batch, embedder.features(batch))
        }) { fingerprint throws(PipelineError) in
            try FeatureOutputs(output: job.output, header: FeatureFileHeader(layout: layout, model: job.scorerIdentity, run: "embed " + fingerprint),
                               resume: job.resume)
        }
    }

    /// One row per sample: ok samples take the next feature row, the others keep their error.
    private static func rows(_ batch: [PreparedSample], _ features: Tensor) -> [FeatureRow] {
        var next = 0
        return batch.map { sample in
            let item = sample.item
            var row = FeatureRow(position: item.position, idx: Int64(item.idx), id: item.id, image: item.imageColumn,
                                 imageSource: item.imageSource, values: nil, error: sample.error ?? "")
            if sample.error == nil {
                row.values = features.row(next)
                next += 1
            }
            return row
        }
    }
}
