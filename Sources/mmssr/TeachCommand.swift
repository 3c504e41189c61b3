import ArgumentParser
import Foundation
import Scorer
import Tensor

struct TeachCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teach",
        abstract: "Label a pool with the official mmSSR scorer and styler MLLMs (SPEC §6): the score table and the official folder.",
        discussion: """
        The scorer's 14 capability prompts are built exactly as the official model_ss.py builds them and share \
        one prefill up to their common tokens; the table's capability columns are the expected scores \
        Σ d·p(d) / Σ p(d) over the digits at the first answer position, and --mmssr-folder receives the official \
        greedy answers (pred_response) as the official code writes them, so `mmssr select --mmssr-folder` \
        reproduces the official selection. With --styler the table's style columns are the log-likelihoods of \
        each style name starting the answer and `styles` is the styler's greedy answer, split at commas.
        Teacher files come from weights/convert_mllm.py; a plain Qwen2 chat GGUF is a text-only teacher (same \
        prompts, <image> removed). Items with several images become error rows; text-only items get the prompt \
        without an image. Streaming, --shard, --resume, --limit and error rows work as in `mmssr score`.
        """)

    @OptionGroup var options: PipelineOptions

    @Option(help: "The scorer: a teacher GGUF (weights/convert_mllm.py) or a plain Qwen2 chat GGUF.")
    var scorer: String

    @Option(help: "The styler (optional): without it the style columns stay empty.")
    var styler: String?

    @Option(name: .shortAndLong, help: "Score table to write: .parquet, .csv or .jsonl.")
    var output: String

    @Option(name: .customLong("mmssr-folder"), help: "Also write the official mmSSR folder ({capability}.jsonl, style.jsonl) with the teachers' answers.")
    var mmssrFolder: String?

    @Option(help: "Capabilities to ask: all, or keys separated by commas (spatial,ocr,...).")
    var caps = "all"

    @Option(name: .customLong("max-new-tokens"), help: "Longest greedy answer, in tokens (official: 1024).")
    var maxNewTokens = 1024

    func validate() throws {
        guard maxNewTokens >= 1 else { throw ValidationError("--max-new-tokens must be at least 1") }
        _ = try capabilityIndexes()
    }

    private func capabilityIndexes() throws -> [Int] {
        if caps == "all" { return Array(Capabilities.keys.indices) }
        let keys = caps.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        return try keys.map { key in
            guard let i = Capabilities.keys.firstIndex(of: key) else {
                throw ValidationError("--caps: unknown capability '\(key)' (one of \(Capabilities.keys.joined(separator: ", ")))")
            }
            return i
        }
    }

    func run() throws {
        do { _ = try ScoreTable.Format(path: output) } catch { throw CLIError(error.description) }
        func load(_ path: String, role: String) throws -> Teacher {
            guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
            do throws(TeacherError) { return try Teacher(path: path, fp32: options.fp32) } catch {
                throw CLIError("cannot use \(role) \(path): \(error)")
            }
        }
        let scorerModel = try load(scorer, role: "scorer")
        // One file as both roles (a plain chat model) is loaded once.
        let stylerModel = try styler.map { $0 == scorer ? scorerModel : try load($0, role: "styler") }
        if scorerModel.configuration.role == .styler && styler != scorer {
            throw CLIError("\(scorer) is a styler (mmssr.teacher.role); pass it as --styler")
        }
        if stylerModel?.configuration.role == .scorer { throw CLIError("\(styler!) is a scorer (mmssr.teacher.role); pass it as --scorer") }
        let teacher = TeacherScorer(scorer: scorerModel, styler: stylerModel, capabilities: try capabilityIndexes(),
                                    maxNewTokens: maxNewTokens)
        let summary: ScoreSummary
        do throws(PipelineError) {
            var job = try options.job(output: output, defaultBatch: 1)
            job.mmssrFolder = mmssrFolder
            job.scorerIdentity = teacher.identity
            let progress = options.quiet ? nil : ProgressReporter(style: ProgressReporter.stderrStyle, label: "teach")
            summary = try ScorePipeline(scorer: teacher, job: job, progress: progress).run()
        } catch {
            throw CLIError(error.description)
        }
        guard !options.quiet else { return }
        var line = "taught \(summary.scored) items in \(String(format: "%.1f", summary.seconds)) s"
        if summary.scored > 0 { line += " (\(String(format: "%.2f", summary.seconds / Double(summary.scored))) s/item)" }
        if summary.resumed > 0 { line += " after \(summary.resumed) resumed" }
        line += "; \(summary.rows) rows, \(summary.errors) errors -> \(output)"
        if let mmssrFolder { line += " and \(mmssrFolder)/" }
        var lines = [line]
        let unknown = teacher.unknownStyleCounts
        if !unknown.isEmpty {
            let listed = unknown.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(8)
                .map { "\"\($0.key)\" x\($0.value)" }.joined(separator: ", ")
            lines.append("styler named \(unknown.values.reduce(0, +)) styles outside the 9 (not kept): \(listed)")
        }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
