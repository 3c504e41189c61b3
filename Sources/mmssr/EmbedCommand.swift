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

    @OptionGroup var options: PipelineOptions
    @OptionGroup var student: StudentModelOption

    @Option(name: .shortAndLong, help: "Features file to write (.mmfeat).")
    var output: String

    func run() throws {
        do throws(PipelineError) {
            try embed()
        } catch {
            throw CLIError(error.description)
        }
    }

    private func embed() throws(PipelineError) {
        var job = try options.job(output: output)
        let (embedder, identity) = try student.loadModel(fp32: options.fp32)
        job.scorerIdentity = identity
        let progress = options.quiet ? nil : ProgressReporter(style: ProgressReporter.stderrStyle, label: "embed")
        let summary = try EmbedPipeline(embedder: embedder, job: job, progress: progress).run()
        if !options.quiet {
            let rate = summary.seconds > 0 ? Double(summary.scored) / summary.seconds : 0
            var line = "embedded \(summary.scored) items in \(String(format: "%.1f", summary.seconds)) s (\(String(format: "%.1f", rate))/s)"
            if summary.resumed > 0 { line += " after \(summary.resumed) resumed" }
            line += "; \(summary.rows) rows, \(summary.errors) errors, \(embedder.featureLayout.count) blocks -> \(output)"
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
