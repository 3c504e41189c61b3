import ArgumentParser
import CBLAS
import Foundation
import Scorer
import Tensor

/// The options `score`, `embed` and `teach` share: what to read and how to split the work.
struct PipelineOptions: ParsableArguments {
    @Argument(help: "The pool: a JSON array or JSONL (LLaVA format).")
    var pool: String

    @Option(help: "Folder that the items' image paths are relative to.")
    var images: String

    @Option(help: "Forward threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("prepare-threads"), help: "Image decode/preprocess threads, overlapping the forward.")
    var prepareThreads = 1

    @Option(help: "Samples per forward (default: 4 per forward thread, at least 8; teach: 1).")
    var batch: Int?

    @Option(help: "I/N: only the items whose 0-based position p has p mod N == I.")
    var shard: String?

    @Flag(help: "Continue an interrupted run from its checkpoint.")
    var resume = false

    @Option(help: "Only the first N items of the pool (before sharding).")
    var limit: Int?

    @Flag(help: "Run an int8 model's matrices in fp32 (score/embed: picks weights/mmssr-small-f32.gguf when --model is not given).")
    var fp32 = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    /// The validated job writing to `output`; also sets the forward's thread count.
    func job(output: String, defaultBatch: Int? = nil) throws(PipelineError) -> ScoreJob {
        var job = ScoreJob(pool: pool, imagesRoot: images, output: output)
        if let shard { job.shard = try ShardSpec(parsing: shard) }
        if let threads, threads < 1 { throw .invalidArgument("--threads must be at least 1") }
        if let limit, limit < 0 { throw .invalidArgument("--limit must be at least 0") }
        if let batch, batch < 1 { throw .invalidArgument("--batch must be at least 1") }
        guard prepareThreads >= 1 else { throw .invalidArgument("--prepare-threads must be at least 1") }
        guard FileManager.default.isReadableFile(atPath: pool) else {
            throw .pool(.unreadable(path: pool, reason: FileManager.default.fileExists(atPath: pool) ? "permission denied" : "no such file"))
        }
        if let threads { Parallel.setThreads(threads) }
        job.batchSize = batch ?? defaultBatch ?? ScoreJob.defaultBatchSize(threads: Parallel.threads)
        job.prepareThreads = prepareThreads
        job.limit = limit
        job.resume = resume
        return job
    }

}

/// The one-pass student's model file, for `score` and `embed`.
struct StudentModelOption: ParsableArguments {
    @Option(help: "Model file (default: weights/mmssr-small.gguf, or -f32.gguf with --fp32; see `mmssr score --help`).")
    var model: String?

    /// The model, and the identity a checkpoint records so a resume with another model is refused.
    func loadModel(fp32: Bool) throws(PipelineError) -> (model: ScoringModel, identity: String) {
        let path = if let model { model } else { try ModelLocator.locate(fp32: fp32) }
        let loaded: ScoringModel
        do { loaded = try ScoringModel(path: path, fp32: fp32) } catch {
            throw .invalidArgument("cannot use model \(path): \(error)")
        }
        return (loaded, "\(URL(fileURLWithPath: path).standardizedFileURL.path) \(loaded.precision)")
    }
}
