import ArgumentParser
import Foundation
import Scorer
import Select
import Tensor

struct FitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Distil the capability and style heads from a teacher's labels (docs/distillation.md).",
        discussion: """
        Each capability head is a 6-way softmax regression on the teacher's scores rounded to 0-5, the style head \
        9 logistic regressions, all L2-regularised and fitted by full-batch L-BFGS on standardised features. The \
        L2 strength is chosen on a seeded holdout share, the metrics (Spearman rho, top-30% overlap, style F1, \
        mmssr selection overlap) are measured there, and the written heads are refit on all labelled items. \
        The model file is the base model with only the h.* tensors and heads.kind replaced. Labels for items \
        without features, unparsable cells and missing capabilities are counted, never fatal; a capability \
        without labels keeps the base model's head.
        """)

    @Option(name: .customLong("features"), help: "Features file from `mmssr embed` (repeat for shards).")
    var features: [String] = []

    @Option(help: "Teacher labels: a score table (.parquet/.csv/.jsonl), a plain CSV (idx, capability columns, styles), or an official mmSSR folder.")
    var labels: String

    @Option(name: .shortAndLong, help: "Model file to write (.gguf).")
    var output: String

    @Option(help: "Base model whose towers and metadata are copied (default: weights/mmssr-small.gguf).")
    var base: String?

    @Option(help: "Share of the labelled items held out for the L2 choice and the metrics.")
    var holdout = 0.2

    @Option(help: "Seed of the holdout split.")
    var seed: UInt64 = 0

    @Option(help: "Fixed L2 strength (default: the best of \(FitJob.lambdaGrid.map { "\($0)" }.joined(separator: ", ")) on the holdout).")
    var l2: Double?

    @Option(help: "Write the metrics as JSON here.")
    var report: String?

    @Option(help: "Threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Only warnings and errors on stderr.")
    var quiet = false

    func run() throws {
        if let threads {
            guard threads >= 1 else { throw CLIError("--threads must be at least 1") }
            Parallel.setThreads(threads)
        }
        let basePath: String
        if let base { basePath = base } else {
            do { basePath = try ModelLocator.locate(fp32: false) } catch { throw CLIError(error.description) }
        }
        var job = FitJob(features: features, labels: labels, output: output, base: basePath)
        job.holdout = holdout
        job.seed = seed
        job.l2 = l2
        let quiet = self.quiet
        func say(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        let outcome: FitReport
        do throws(FitError) {
            outcome = try Distillation.run(job, select: Self.mmssrSelection, log: { if !quiet { say($0) } })
        } catch {
            throw CLIError(error.description)
        }
        if let report {
            do { try Data(outcome.json().utf8).write(to: URL(fileURLWithPath: report)) } catch {
                throw CLIError("\(report): cannot write the report: \(error.localizedDescription)")
            }
        }
        for line in outcome.summary where !quiet || line.hasPrefix("warning:") { say(line) }
        if !quiet { say("wrote \(output) (heads.kind: \(outcome.kind))") }
    }

    /// `mmssr select --method mmssr` on in-memory rows, as idx values.
    static func mmssrSelection(_ rows: [ScoreRow], _ capabilities: [Int], _ budget: Double) -> [Int64] {
        var store = ScoreStore()
        for row in rows { try? store.append(row) }
        let options = SelectionOptions(method: .mmssr, capabilities: capabilities, budget: .ratio(budget))
        return Selector.run(store, options, poolSize: rows.count).rows.map { store.idx[Int($0)] }
    }
}
