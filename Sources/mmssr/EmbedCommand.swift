import ArgumentParser
import Foundation
import Scorer
import Tensor

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write the heads' input features of every pool item, for `mmssr fit` (docs/distillation.md).",
        discussion: """
        One streaming pass with the same reader, threads, shards and resume as `mmssr score`. The file grows \
        under FEATURES.partial (its own checkpoint: --resume continues it) and is renamed when complete. \
        Format (.mmfeat): a JSON header line (layout, feature count, model), then per item a JSON line \
        {position, idx, id, image, image_source, status, error} followed, for ok items, by the float32 \
        little-endian feature vector. Bad items are recorded as error records, never dropped.
        """)

    @Argument(help: "The pool: a JSON array or JSONL (LLaVA format).")
    var pool: String

    @Option(help: "Folder that the items' image paths are relative to.")
    var images: String

    @Option(name: .shortAndLong, help: "Features file to write (.mmfeat).")
    var output: String

    @Option(help: "Model file (default: weights/mmssr-small.gguf, as for score).")
    var model: String?

    @Option(help: "Forward threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("prepare-threads"), help: "Image decode/preprocess threads, overlapping the forward.")
    var prepareThreads = 1

    @Option(help: "Samples per forward.")
    var batch = 32

    @Option(help: "I/N: only the items whose 0-based position p has p mod N == I.")
    var shard: String?

    @Flag(help: "Continue an interrupted run from FEATURES.partial.")
    var resume = false

    @Option(help: "Only the first N items of the pool (before sharding).")
    var limit: Int?

    @Flag(help: "Run an int8 model's matrices in fp32.")
    var fp32 = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    func run() throws {
        do throws(PipelineError) {
            try embed()
        } catch {
            throw CLIError(error.description)
        }
    }

    private func embed() throws(PipelineError) {
        var job = ScoreJob(pool: pool, imagesRoot: images, output: output)
        if let shard { job.shard = try ShardSpec(parsing: shard) }
        if let threads, threads < 1 { throw .invalidArgument("--threads must be at least 1") }
        if let limit, limit < 0 { throw .invalidArgument("--limit must be at least 0") }
        guard batch >= 1 else { throw .invalidArgument("--batch must be at least 1") }
        guard prepareThreads >= 1 else { throw .invalidArgument("--prepare-threads must be at least 1") }
        guard FileManager.default.isReadableFile(atPath: pool) else {
            throw .pool(.unreadable(path: pool, reason: FileManager.default.fileExists(atPath: pool) ? "permission denied" : "no such file"))
        }
        job.batchSize = batch
        job.prepareThreads = prepareThreads
        job.limit = limit
        job.resume = resume
        if let threads { Parallel.setThreads(threads) }

        let modelPath = if let model { model } else { try ModelLocator.locate(fp32: fp32) }
        let embedder: ScoringModel
        do { embedder = try ScoringModel(path: modelPath, fp32: fp32) } catch {
            throw .invalidArgument("cannot use model \(modelPath): \(error)")
        }
        job.scorerIdentity = "\(URL(fileURLWithPath: modelPath).standardizedFileURL.path) \(embedder.precision)"
        let progress = quiet ? nil : ProgressReporter(style: ProgressReporter.stderrStyle, label: "embed")
        let summary = try EmbedPipeline(embedder: embedder, job: job, progress: progress).run()
        if !quiet {
            let rate = summary.seconds > 0 ? Double(summary.scored) / summary.seconds : 0
            var line = "embedded \(summary.scored) items in \(String(format: "%.1f", summary.seconds)) s (\(String(format: "%.1f", rate))/s)"
            if summary.resumed > 0 { line += " after \(summary.resumed) resumed" }
            line += "; \(summary.rows) rows, \(summary.errors) errors, \(embedder.featureLayout.count) blocks -> \(output)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
