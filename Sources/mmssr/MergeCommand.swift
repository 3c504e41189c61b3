import ArgumentParser
import Foundation
import Scorer

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard tables of a `mmssr score --shard I/N` run into the single-process table.",
        discussion: """
            Each shard table holds its rows in pool order; the merge streams them all and writes the rows in \
            idx (pool position) order, which is the table one process would have written: with the same \
            output format it is byte for byte the same file. Shards may be in any order and format (the output's \
            extension picks its format). The rows must cover positions 0, 1, 2, ... without a gap or a \
            duplicate, so a missing or doubled shard is an error rather than a silently short table. The output \
            is written under OUT.tmp and renamed when complete.
            """)

    @Argument(help: "The shard tables (.parquet, .csv or .jsonl).")
    var shards: [String]

    @Option(name: .shortAndLong, help: "The merged table: .parquet, .csv or .jsonl.")
    var output: String

    func run() throws {
        guard !shards.isEmpty else { throw CLIError("merge needs at least one shard table") }
        let target = URL(fileURLWithPath: output).standardizedFileURL.path
        for shard in shards where URL(fileURLWithPath: shard).standardizedFileURL.path == target {
            throw CLIError("-o \(output) is also a shard table: write the merge elsewhere")
        }
        do throws(TableError) {
            let rows = try merge(into: output + ".tmp")
            guard rename(output + ".tmp", output) == 0 else {
                throw .io(path: output, reason: "cannot move \(output).tmp into place: \(String(cString: strerror(errno)))")
            }
            FileHandle.standardError.write(Data("merged \(rows) rows from \(shards.count) shard tables -> \(output)\n".utf8))
        } catch {
            throw CLIError(error.description)
        }
    }

    /// A k-way merge on idx: every shard is read once, front to back, holding one row per shard.
    private func merge(into path: String) throws(TableError) -> Int {
        let format = try ScoreTable.Format(path: output)
        var readers: [any ScoreTableReader] = []
        var heads: [ScoreRow?] = []
        for shard in shards {
            let reader = try ScoreTable.reader(path: shard)
            readers.append(reader)
            heads.append(try reader.next())
        }
        let writer: any ScoreTableWriter = switch format {
        case .parquet: try ParquetTableWriter(path: path)
        case .csv: try CSVTableWriter(path: path)
        case .jsonl: try JSONLTableWriter(path: path)
        }
        var expected: Int64 = 0
        while true {
            var pick: Int?
            for (i, head) in heads.enumerated() {
                guard let head else { continue }
                if let p = pick, let best = heads[p], best.idx <= head.idx {
                    if best.idx == head.idx {
                        throw .malformed(path: shards[i], location: "idx \(head.idx)", reason: "also in \(shards[p]): the same shard twice?")
                    }
                    continue
                }
                pick = i
            }
            guard let pick, let row = heads[pick] else { break }
            guard row.idx == expected else {
                let reason = row.idx < expected
                    ? "rows out of pool order (idx \(row.idx) after \(expected - 1))"
                    : "no shard holds idx \(expected): is a shard table missing?"
                throw .malformed(path: shards[pick], location: "idx \(row.idx)", reason: reason)
            }
            try writer.write(row)
            expected += 1
            heads[pick] = try readers[pick].next()
        }
        try writer.finish()
        return Int(expected)
    }
}
