import ArgumentParser
import Foundation
import Scorer
import Select

struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "select",
        abstract: "Select the best subset of a scored pool (mmSSR).",
        discussion: """
        Writes SUBSET.json (the pool's items, verbatim, in pool order) and SUBSET.manifest.json.
        Input is a score table from `mmssr score`, or --mmssr-folder with the official mmSSR outputs.
        """)

    @Argument(help: "Score table (.parquet, .csv or .jsonl).")
    var scores: String?

    @Option(name: .customLong("mmssr-folder"), help: "Official mmSSR output folder ({capability}.jsonl, style.jsonl) instead of a table.")
    var mmssrFolder: String?

    @Option(help: "The pool the scores belong to (JSON array or JSONL).")
    var pool: String

    @Option(help: "A ratio in (0, 1) of the pool, or a count ≥ 1.")
    var budget: String

    @Option(name: .shortAndLong, help: "Subset file to write (JSON array).")
    var output: String

    @Option(help: "Capabilities to split the budget over, in order: all, or keys separated by commas.")
    var caps: String = "all"

    @Option(help: "Rows need a capability score above this to be chosen for it.")
    var thr: Float = 0

    @Option(help: "mmssr, random or score.")
    var method: String = "mmssr"

    @Option(help: "Seed of --method random.")
    var seed: UInt64 = 0

    @Option(help: "Folder for an HTML report (index.html).")
    var report: String?

    @Option(name: .customLong("ids-out"), help: "Write the selected idx, one per line, in pool order.")
    var idsOut: String?

    @Flag(help: "No progress or warnings on stderr.")
    var quiet = false

    /// Checked here rather than in `validate()` so that a bad argument gives one line, not the usage text.
    private func options() throws(SelectCommandError) -> SelectionOptions {
        if (scores == nil) == (mmssrFolder == nil) {
            throw SelectCommandError("give either a score table or --mmssr-folder DIR, not both or neither")
        }
        guard let budget = Budget(budget) else {
            throw SelectCommandError("--budget must be a ratio in (0, 1) or a count ≥ 1, got '\(self.budget)'")
        }
        guard let method = SelectionOptions.Method(rawValue: method) else {
            throw SelectCommandError("--method must be mmssr, random or score, got '\(self.method)'")
        }
        guard thr.isFinite else { throw SelectCommandError("--thr must be a finite number") }
        return SelectionOptions(method: method, capabilities: try capabilityIndices(), threshold: thr, budget: budget, seed: seed)
    }

    private func capabilityIndices() throws(SelectCommandError) -> [Int] {
        if caps == "all" { return Array(Capabilities.keys.indices) }
        var out: [Int] = []
        for key in caps.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !key.isEmpty {
            guard let i = Capabilities.keys.firstIndex(of: key) else {
                throw SelectCommandError("unknown capability '\(key)' in --caps (known: all, \(Capabilities.keys.joined(separator: ",")))")
            }
            if !out.contains(i) { out.append(i) }
        }
        if out.isEmpty { throw SelectCommandError("--caps names no capability") }
        return out
    }

    func run() throws {
        let options: SelectionOptions
        do { options = try self.options() } catch {
            FileHandle.standardError.write(Data("mmssr select: error: \(error.message)\n".utf8))
            throw ExitCode(2)
        }
        let input: SelectPipeline.Input = scores.map { .table($0) } ?? .mmssrFolder(mmssrFolder!)
        let request = SelectPipeline.Request(
            input: input, pool: pool, output: output, options: options, idsOut: idsOut, reportDirectory: report,
            commandLine: CommandLine.arguments)
        let quiet = self.quiet
        let started = ContinuousClock.now
        do {
            let outcome = try SelectPipeline.run(request) { line in
                guard !quiet else { return }
                let t = (ContinuousClock.now - started).components
                let seconds = Double(t.seconds) + Double(t.attoseconds) / 1e18
                FileHandle.standardError.write(Data("mmssr select: [\(String(format: "%.1fs", seconds))] \(line)\n".utf8))
            }
            if !quiet {
                let s = outcome.selection
                FileHandle.standardError.write(Data("mmssr select: selected \(s.rows.count) of budget \(s.budget); manifest \(outcome.manifestPath)\n".utf8))
            }
        } catch {
            FileHandle.standardError.write(Data("mmssr select: error: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}

struct SelectCommandError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
