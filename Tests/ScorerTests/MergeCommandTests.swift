import Foundation
import XCTest
@testable import Scorer

/// `mmssr merge`: shard tables of any format, in any order, interleave back into the single-process table,
/// byte for byte in each output format; a missing or doubled shard is a one-line error.
final class MergeCommandTests: XCTestCase {
    func testShardsMergeByteForByteIntoTheWholeTable() throws {
        let binary = try mmssr()
        let scratch = try PipelineScratch("merge")
        let rows = (0..<23).map(Self.row)
        for format in ScoreTable.Format.allCases {
            let whole = scratch.dir + "/whole.\(format)"
            try ScoreTable.write(rows, to: whole)
            // Shard i of 4 holds positions p with p mod 4 == i, in pool order; shards in other formats too.
            var shards: [String] = []
            let f = ScoreTable.Format.allCases.firstIndex(of: format)!
            for i in [2, 0, 3, 1] {
                let other = ScoreTable.Format.allCases[(i + f) % 3]
                let path = scratch.dir + "/shard-\(i)-of-4.\(i % 2 == 0 ? format : other)"
                try ScoreTable.write(rows.filter { $0.idx % 4 == Int64(i) }, to: path)
                shards.append(path)
            }
            let merged = scratch.dir + "/merged.\(format)"
            let result = try run(binary, ["merge"] + shards + ["-o", merged])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertEqual(FileManager.default.contents(atPath: merged), FileManager.default.contents(atPath: whole), "\(format)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: merged + ".tmp"))
        }
    }

    func testAMissingOrDoubledShardIsAnError() throws {
        let binary = try mmssr()
        let scratch = try PipelineScratch("merge-errors")
        let rows = (0..<9).map(Self.row)
        let shards = try (0..<3).map { i in
            let path = scratch.dir + "/s\(i).jsonl"
            try ScoreTable.write(rows.filter { $0.idx % 3 == Int64(i) }, to: path)
            return path
        }
        let out = scratch.dir + "/out.csv"
        let missing = try run(binary, ["merge", shards[0], shards[2], "-o", out])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertEqual(missing.stderr, "Error: \(shards[2]), idx 2: no shard holds idx 1: is a shard table missing? (idx that are not the pool positions 0..N-1 need --pool)\n")
        let doubled = try run(binary, ["merge", shards[0], shards[1], shards[1], shards[2], "-o", out])
        XCTAssertNotEqual(doubled.status, 0)
        XCTAssertEqual(doubled.stderr, "Error: \(shards[1]), idx 1: also in \(shards[1]): the same shard twice?\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let same = try run(binary, ["merge", shards[0], "-o", shards[0]])
        XCTAssertEqual(same.stderr, "Error: -o \(shards[0]) is also a shard table: write the merge elsewhere\n")
    }

    /// Real pools carry their own idx (any values, any order): with --pool the pool's order rules, byte for byte
    /// the single-process table; without it the merge fails and leaves no OUT.tmp behind.
    func testPoolsWithArbitraryIdxMergeInPoolOrder() throws {
        let binary = try mmssr()
        let scratch = try PipelineScratch("merge-idx")
        let idx: [Int64] = (0..<17).map { Int64(1000 - 37 * $0) * ($0 % 2 == 0 ? 1 : -1) }
        let items = idx.map { #"{"id":"s\#($0)","idx":\#($0),"image":"a.jpg","conversations":[{"from":"human","value":"<image>\nQ"},{"from":"gpt","value":"A"}]}"# }
        let pool = scratch.dir + "/pool.json"
        try Data(("[\n" + items.joined(separator: ",\n") + "\n]\n").utf8).write(to: URL(fileURLWithPath: pool))
        let rows = idx.indices.map { p in var r = Self.row(p); r.idx = idx[p]; return r }
        let whole = scratch.dir + "/whole.parquet"
        try ScoreTable.write(rows, to: whole)
        let shards = try [2, 0, 1].map { i in
            let path = scratch.dir + "/shard-\(i)-of-3.jsonl"
            try ScoreTable.write(rows.indices.filter { $0 % 3 == i }.map { rows[$0] }, to: path)
            return path
        }
        let merged = scratch.dir + "/merged.parquet"
        let plain = try run(binary, ["merge"] + shards + ["-o", merged])
        XCTAssertNotEqual(plain.status, 0)
        XCTAssertTrue(plain.stderr.contains("need --pool"), plain.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged + ".tmp"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged))
        let result = try run(binary, ["merge"] + shards + ["-o", merged, "--pool", pool])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(FileManager.default.contents(atPath: merged), FileManager.default.contents(atPath: whole))
        let missing = try run(binary, ["merge", shards[0], shards[2], "-o", merged + "2.csv", "--pool", pool])
        XCTAssertEqual(missing.stderr, "Error: \(pool), item 0: no shard holds idx 1000: is a shard table missing?\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: merged + "2.csv.tmp"))
    }

    /// Rows whose cells need quoting and escaping, error rows with null scores, and awkward (finite) floats:
    /// CSV and JSONL write non-finite scores as nulls, so only finite ones survive a change of format.
    private static func row(_ i: Int) -> ScoreRow {
        if i % 5 == 3 {
            return .failed(idx: Int64(i), id: "e\(i)", image: "img, \"\(i)\".jpg", error: "cannot decode:\nline two ✓")
        }
        let values: [Float] = [0.1, -0, 1e-38, 1.2345679e30, 1.0 / 3, -2.5e-7, 7, 0.30000001]
        return ScoreRow(idx: Int64(i), id: "id-\(i) ü", image: i % 2 == 0 ? "" : "a/b\(i).jpg", imageSource: "coco",
                        scores: (0..<Capabilities.keys.count).map { values[($0 + i) % values.count] * Float(i + 1) },
                        styleLogits: (0..<Styles.keys.count).map { Float($0) - Float(i) / 7 },
                        styles: "Brief, Detailed")
    }

    private func mmssr() throws -> String {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmssr").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw MissingBinary(description: "\(binary) is missing: build the mmssr product first (swift build)")
        }
        return binary
    }

    private func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}

private struct MissingBinary: Error, CustomStringConvertible {
    let description: String
}
