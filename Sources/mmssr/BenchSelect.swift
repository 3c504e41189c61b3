import ArgumentParser
import Foundation
import Scorer
import Select
import Tensor

/// `mmssr bench select`: writes a random score table (and optionally its pool), then times loading it and
/// running the selection in-process. Peak memory is best measured on the CLI run it prints, under
/// `/usr/bin/time -v`.
struct BenchSelect: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "select", abstract: "Selection throughput on a generated score table.")

    @Option(help: "Rows of the generated table.")
    var rows = 2_600_000

    @Option(help: "Budget (ratio or count).")
    var budget = "0.3"

    @Option(help: "Folder for the generated files (kept).")
    var dir = NSTemporaryDirectory() + "mmssr-bench-select"

    @Option(help: "Input: parquet, csv, jsonl (a score table) or official (the official mmSSR folder, read as `select --mmssr-folder` reads it).")
    var format = "parquet"

    @Flag(help: "Also write a matching pool (pool.json) so the full CLI can be timed.")
    var pool = false

    @Option(help: "Generator seed.")
    var seed: UInt64 = 1

    @Flag(help: "Read the input already in --dir (an earlier run's, or `tools/gen_scores.py ROWS DIR --text`'s) instead of generating it.")
    var reuse = false

    func run() throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let official = format == "official"
        let tablePath = dir + (official ? "/official" : "/scores.\(format)")
        let clock = ContinuousClock()
        var start = clock.now
        if !reuse {
            let writer: any ScoreTableWriter = official ? try MMSSRFolderWriter(directory: tablePath) : try ScoreTable.writer(path: tablePath)
            try Self.generate(rows: rows, seed: seed, writer: writer, pool: pool ? dir + "/pool.json" : nil)
            print("generated \(rows) rows in \(clock.now - start): \(tablePath)")
        }

        start = clock.now
        let cpuStart = cpuSeconds()
        let store = official ? try SelectPipeline.loadFolder(tablePath) : try ScoreStore.load(table: tablePath)
        let loaded = clock.now - start
        let cpu = cpuSeconds() - cpuStart
        let megabytes = Double(Self.size(of: tablePath)) / 1e6
        let seconds = Double(loaded.components.seconds) + Double(loaded.components.attoseconds) * 1e-18
        // Per core = per CPU-second of this process: steadier than wall time on a shared machine, and what a
        // reader costs whatever the core count.
        print("read \(format) (\(store.count) rows, \(f(megabytes, 0)) MB) in \(f(seconds, 2)) s: \(f(megabytes / seconds, 0)) MB/s, "
              + "\(f(megabytes / cpu, 0)) MB/s per core (\(f(cpu, 2)) CPU s, \(f(cpu / seconds, 2)) cores busy)"
              + (official ? "; `select --mmssr-folder` also walks the pool for sources meanwhile" : ""))
        start = clock.now
        guard let budget = Budget(budget) else { throw ValidationError("bad --budget") }
        let selection = Selector.run(store, SelectionOptions(capabilities: Array(Capabilities.keys.indices), budget: budget), poolSize: store.count)
        let selected = clock.now - start
        print("load \(loaded), select \(selected) (\(selection.rows.count) of budget \(selection.budget), 14 caps)")
        if pool {
            let input = official ? "--mmssr-folder \(tablePath)" : tablePath
            print("full run: /usr/bin/time -v mmssr select \(input) --pool \(dir)/pool.json --budget \(self.budget) -o \(dir)/subset.json --quiet")
        }
    }

    /// Scores on a 0.01 grid with a per-source bias (so sources differ), 1 to 3 styles, 1% error rows.
    static func generate(rows: Int, seed: UInt64, writer: any ScoreTableWriter, pool: String?) throws {
        var rng = SplitMix64(seed: seed)
        let sources = (0..<30).map { "source\($0)" }
        let poolSink = try pool.map { try ByteSink(path: $0) }
        try poolSink?.write("[\n")
        for i in 0..<rows {
            let src = Int(rng.uniform(below: UInt64(sources.count)))
            let image = "\(sources[src])/\(i).jpg"
            if let poolSink {
                try poolSink.write((i == 0 ? "" : ",\n") + #"{"id":"s\#(i)","image":"\#(image)","conversations":[{"from":"human","value":"<image>\nQuestion \#(i)?"},{"from":"gpt","value":"Answer."}]}"#)
            }
            if rng.uniform(below: 100) == 0 {
                try writer.write(.failed(idx: Int64(i), id: "s\(i)", image: image, imageSource: sources[src], error: "truncated JPEG"))
                continue
            }
            var scores = [Float?](repeating: nil, count: Capabilities.keys.count)
            for c in scores.indices {
                let bias = UInt64((src * 7 + c * 3) % 150)
                scores[c] = Float(min(rng.uniform(below: 351) + bias, 500)) / 100
            }
            let logits: [Float?] = (0..<Styles.keys.count).map { _ in Float(Int(rng.uniform(below: 1000)) - 500) / 100 }
            var styles: [String] = []
            for _ in 0...rng.uniform(below: 3) {
                let name = Styles.names[Int(rng.uniform(below: UInt64(Styles.names.count)))]
                if !styles.contains(name) { styles.append(name) }
            }
            try writer.write(ScoreRow(
                idx: Int64(i), id: "s\(i)", image: image, imageSource: sources[src], scores: scores, styleLogits: logits,
                styles: styles.joined(separator: ", ")))
        }
        try writer.finish()
        try poolSink?.write("\n]\n")
        try poolSink?.close()
    }

    /// Bytes of a file, or of the files in a folder.
    static func size(of path: String) -> Int {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else { return 0 }
        let files = isDir.boolValue ? ((try? fm.contentsOfDirectory(atPath: path)) ?? []).map { path + "/" + $0 } : [path]
        return files.reduce(0) { $0 + (((try? fm.attributesOfItem(atPath: $1))?[.size] as? Int) ?? 0) }
    }
}
