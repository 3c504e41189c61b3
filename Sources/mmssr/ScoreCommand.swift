import ArgumentParser
import Foundation
import Scorer
import Tensor

struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score every pool item: 14 capability scores and 9 style logits (SPEC §3).",
        discussion: """
        The table is written under SCORES.tmp and renamed when complete; finished rows are also appended to \
        SCORES.checkpoint.jsonl after every batch, so an interrupted run continues with --resume and ends with \
        the same table. Bad items (missing or broken images, no conversations, malformed JSON) become error rows.
        Without --model: weights/mmssr-small.gguf (weights/mmssr-small-f32.gguf with --fp32) under the current \
        directory, else under the repository the executable was built in.
        Threads: the forward runs on --threads workers; --prepare-threads more decode and resize images for the \
        next batch meanwhile. Preparing a 640x480 JPEG costs about a tenth of its forward, so the default, 1, \
        keeps the forward fed (it waits under 2% of the time on 2 cores; see `mmssr bench e2e`).
        With --fp32, OpenBLAS runs the matrices: if it does not recognise the CPU (`mmssr bench gemm` says \
        Prescott), setting OPENBLAS_CORETYPE (e.g. SkylakeX) speeds it up where that build is known to be correct.
        """)

    @Argument(help: "The pool: a JSON array or JSONL (LLaVA format).")
    var pool: String

    @Option(help: "Folder that the items' image paths are relative to.")
    var images: String

    @Option(name: .shortAndLong, help: "Score table to write: .parquet, .csv or .jsonl.")
    var output: String

    @Option(help: "Model file (default: weights/mmssr-small.gguf, see below).")
    var model: String?

    @Option(help: "Forward threads (default: all cores).")
    var threads: Int?

    @Option(name: .customLong("prepare-threads"), help: "Image decode/preprocess threads, overlapping the forward.")
    var prepareThreads = 1

    @Option(help: "Samples per forward.")
    var batch = 32

    @Option(help: "I/N: only the items whose 0-based position p has p mod N == I.")
    var shard: String?

    @Flag(help: "Continue an interrupted run from its checkpoint.")
    var resume = false

    @Option(help: "Only the first N items of the pool (before sharding).")
    var limit: Int?

    @Flag(help: "Run an int8 model's matrices in fp32 (picks weights/mmssr-small-f32.gguf when --model is not given).")
    var fp32 = false

    @Flag(help: "No progress on stderr.")
    var quiet = false

    @Option(name: .customLong("mmssr-folder"), help: "Also export the official mmSSR folder layout ({capability}.jsonl, style.jsonl) here.")
    var mmssrFolder: String?

    func run() throws {
        do throws(PipelineError) {
            try score()
        } catch {
            throw CLIError(error.description)
        }
    }

    private func score() throws(PipelineError) {
        var job = ScoreJob(pool: pool, imagesRoot: images, output: output)
        do { _ = try ScoreTable.Format(path: output) } catch { throw .table(error) }
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
        job.mmssrFolder = mmssrFolder
        if let threads { Parallel.setThreads(threads) }

        let modelPath = if let model { model } else { try ModelLocator.locate(fp32: fp32) }
        let scorer: ScoringModel
        do { scorer = try ScoringModel(path: modelPath, fp32: fp32) } catch {
            throw .invalidArgument("cannot use model \(modelPath): \(error)")
        }
        job.scorerIdentity = "\(URL(fileURLWithPath: modelPath).standardizedFileURL.path) \(scorer.precision)"
        let progress = quiet ? nil : ProgressReporter(style: ProgressReporter.stderrStyle)
        let summary = try ScorePipeline(scorer: scorer, job: job, progress: progress).run()
        if !quiet {
            let rate = summary.seconds > 0 ? Double(summary.scored) / summary.seconds : 0
            var line = "scored \(summary.scored) items in \(String(format: "%.1f", summary.seconds)) s (\(String(format: "%.1f", rate))/s)"
            if summary.resumed > 0 { line += " after \(summary.resumed) resumed" }
            line += "; \(summary.rows) rows, \(summary.errors) errors -> \(output)"
            if let mmssrFolder { line += " and \(mmssrFolder)/" }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
