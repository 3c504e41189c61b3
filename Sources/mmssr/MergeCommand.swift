import ArgumentParser
import Foundation
import Scorer

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the shard tables of a `mmssr score --shard I/N` run into the single-process table.",
        discussion: """
            Each shard table holds its rows in pool order; the merge streams them all and writes the rows in \
            pool order, which is the table one process would have written: with the same output format it is \
            byte for byte the same file. Shards may be in any order and format (the output's extension picks its \
            format). With --pool the pool's items give the order and every item up to the last row must be in \
            some shard (any idx values); without it the idx must be 0, 1, 2, ... (the pool's positions, the \
            default idx) without a gap. Either way a missing or doubled shard is an error rather than a silently \
            short table. The output is written under OUT.tmp and renamed when complete (removed on an error).
            """)

    @Argument(help: "The shard tables (.parquet, .csv or .jsonl).")
    var shards: [String]

    @Option(name: .shortAndLong, help: "The merged table: .parquet, .csv or .jsonl.")
    var output: String

    @Option(help: "The scored pool: its items' idx in pool order give the merged order (needed when idx are not 0..N-1).")
    var pool: String?

    func run() throws {
        guard !shards.isEmpty else { throw CLIError("merge needs at least one shard table") }
        let target = URL(fileURLWithPath: output).standardizedFileURL.path
        for shard in shards where URL(fileURLWithPath: shard).standardizedFileURL.path == target {
            throw CLIError("-o \(output) is also a shard table: write the merge elsewhere")
        }
        let order = try pool.map(Self.idxInPoolOrder)
        do throws(TableError) {
            let rows = try merge(into: output + ".tmp", order: order)
            guard rename(output + ".tmp", output) == 0 else {
                throw .io(path: output, reason: "cannot move \(output).tmp into place: \(String(cString: strerror(errno)))")
            }
            FileHandle.standardError.write(Data("merged \(rows) rows from \(shards.count) shard tables -> \(output)\n".utf8))
        } catch {
            unlink(output + ".tmp")
            throw CLIError(error.description)
        }
    }

    /// Every pool item's idx, in pool order (items that do not decode keep their position, as their error rows do).
    private static func idxInPoolOrder(_ pool: String) throws -> [Int64] {
        var order: [Int64] = []
        do throws(PoolError) {
            let reader = try PoolReader(path: pool, options: .init(keepRaw: false, conversations: false))
            while let item = try reader.next() { order.append(Int64(item.idx)) }
        } catch {
            throw CLIError(error.description)
        }
        return order
    }

    /// A k-way merge: every shard is read once, front to back, holding one row per shard. The next row is the
    /// shard head holding the next pool item's idx (`order`), or without a pool the smallest idx, which must be
    /// the next position.
    private func merge(into path: String, order: [Int64]?) throws(TableError) -> Int {
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
        var written = 0
        while true {
            if let order {
                guard heads.contains(where: { $0 != nil }) else { break }
                guard written < order.count else {
                    let left = heads.firstIndex { $0 != nil }!
                    throw .malformed(path: shards[left], location: "idx \(heads[left]!.idx)",
                                     reason: "more rows than the pool \(pool!) has items: a table of another pool?")
                }
                let want = order[written]
                let holders = heads.indices.filter { heads[$0]?.idx == want }
                guard let pick = holders.first else {
                    throw .malformed(path: pool!, location: "item \(written)",
                                     reason: "no shard holds idx \(want): is a shard table missing?")
                }
                if holders.count > 1 {
                    throw .malformed(path: shards[holders[1]], location: "idx \(want)", reason: "also in \(shards[pick]): the same shard twice?")
                }
                try writer.write(heads[pick]!)
                written += 1
                heads[pick] = try readers[pick].next()
                continue
            }
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
            let expected = Int64(written)
            guard row.idx == expected else {
                let reason = row.idx < expected
                    ? "rows out of pool order (idx \(row.idx) after \(expected - 1))"
                    : "no shard holds idx \(expected): is a shard table missing?"
                throw .malformed(path: shards[pick], location: "idx \(row.idx)",
                                 reason: reason + " (idx that are not the pool positions 0..N-1 need --pool)")
            }
            try writer.write(row)
            written += 1
            heads[pick] = try readers[pick].next()
        }
        try writer.finish()
        return written
    }
}
