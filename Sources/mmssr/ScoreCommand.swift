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
        fp32 matrices run on OpenBLAS. When OpenBLAS picks kernels for an older instruction set than the CPU \
        has (its SSE3 fallback, or AVX2 kernels on an AVX-512 CPU), mmssr restarts itself with OPENBLAS_CORETYPE \
        set from the CPU's flags (SkylakeX or Haswell); an OPENBLAS_CORETYPE you set yourself is kept.
        """)

    @OptionGroup var options: PipelineOptions
    @OptionGroup var student: StudentModelOption

    @Option(name: .shortAndLong, help: "Score table to write: .parquet, .csv or .jsonl.")
    var output: String

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
        do { _ = try ScoreTable.Format(path: output) } catch { throw .table(error) }
        var job = try options.job(output: output)
        job.mmssrFolder = mmssrFolder
        let (scorer, identity) = try student.loadModel(fp32: options.fp32)
        job.scorerIdentity = identity
        let progress = options.quiet ? nil : ProgressReporter(style: ProgressReporter.stderrStyle)
        let summary = try ScorePipeline(scorer: scorer, job: job, progress: progress).run()
        if !options.quiet {
            let rate = summary.seconds > 0 ? Double(summary.scored) / summary.seconds : 0
            var line = "scored \(summary.scored) items in \(String(format: "%.1f", summary.seconds)) s (\(String(format: "%.1f", rate))/s)"
            if summary.resumed > 0 { line += " after \(summary.resumed) resumed" }
            line += "; \(summary.rows) rows, \(summary.errors) errors -> \(output)"
            if let mmssrFolder { line += " and \(mmssrFolder)/" }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
