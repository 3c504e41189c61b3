import CImage
import Foundation
import XCTest
@testable import Scorer
import Vision

final class PipelineTests: XCTestCase {
    /// Every kind of bad item becomes an error row in its place; Unicode paths and texts survive; workers
    /// finishing out of order still give pool order.
    func testRowsInPoolOrderWithErrorRowsAndUnicode() throws {
        let scratch = try PipelineScratch("order")
        try scratch.jpeg("coco/a.jpg")
        try scratch.jpeg("图片/café ☕.jpg", seed: 9)
        _ = try scratch.write("not an image at all", to: "images/docs/broken.jpg")
        let lines = [
            poolLine(id: "ok-1", image: "coco/a.jpg", question: "<image>\nWhat is shown?", answer: "A pattern."),
            poolLine(id: "missing", image: "coco/nowhere.jpg", question: "<image>\nWhat?", answer: "Nothing."),
            poolLine(id: "unicode-ü", image: "图片/café ☕.jpg", question: "<image>\nこれは何ですか？", answer: "Ein Café — 🙂"),
            "{\"id\": \"no-conv\", \"conversations\": []}",
            "{\"id\": \"bad json\", \"conversations\": [",
            poolLine(id: "broken", image: "docs/broken.jpg", question: "<image>\nRead it.", answer: "Unreadable."),
            poolLine(id: "text-only", question: "Name a prime.", answer: "7"),
        ]
        let pool = try scratch.write(lines.joined(separator: "\n") + "\n", to: "pool.jsonl")
        for format in ["jsonl", "parquet", "csv"] {
            var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/out.\(format)")
            job.batchSize = 2
            job.prepareThreads = 3
            job.mmssrFolder = scratch.dir + "/official-\(format)"
            var scorer = FakeScorer()
            scorer.prepareJitter = 0.01
            let summary = try ScorePipeline(scorer: scorer, job: job).run()
            XCTAssertEqual(summary.rows, 7)
            XCTAssertEqual(summary.errors, 4)
            let rows = try ScoreTable.readAll(path: job.output)
            XCTAssertEqual(rows.map(\.idx), Array(0..<7))
            XCTAssertEqual(rows.map(\.id), ["ok-1", "missing", "unicode-ü", "no-conv", "bad json", "broken", "text-only"])
            XCTAssertEqual(rows.map(\.status.rawValue), ["ok", "error", "ok", "error", "error", "error", "ok"])
            XCTAssertTrue(rows[1].error.contains("file not found"), rows[1].error)
            XCTAssertEqual(rows[3].error, "no conversations")
            XCTAssertTrue(rows[4].error.contains("bad JSON at byte"), rows[4].error)
            XCTAssertTrue(rows[5].error.contains("not an image"), rows[5].error)
            XCTAssertEqual(rows[2].image, "图片/café ☕.jpg")
            XCTAssertEqual(rows[2].imageSource, "图片")
            XCTAssertEqual(rows[2].scores, scorer.score([scorer.prepare(try item(pool, 2), imagesRoot: job.imagesRoot)])[0].scores)
            XCTAssertFalse(FileManager.default.fileExists(atPath: job.output + ".tmp"))
            XCTAssertFalse(FileManager.default.fileExists(atPath: ScorePipeline.checkpointPath(output: job.output)))
            let official = try String(contentsOfFile: job.mmssrFolder! + "/spatial.jsonl", encoding: .utf8)
            XCTAssertEqual(official.split(separator: "\n").count, 3, "one line per ok row")
        }
    }

    /// SPEC §4: the N shard tables, concatenated and sorted by position, equal the single-process table.
    func testShardsConcatenateToTheWholeTable() throws {
        let scratch = try PipelineScratch("shards")
        try scratch.jpeg("a/x.jpg")
        var items: [String] = []
        for i in 0..<23 {
            items.append(i % 5 == 3 ? "{\"idx\": \(100 + i), \"conversations\": 5}"
                : poolLine(id: "s\(i)", image: i % 2 == 0 ? "a/x.jpg" : nil, question: "Question \(i)?", answer: "Answer \(i)"))
        }
        let pool = try scratch.write("[\n" + items.joined(separator: ",\n") + "\n]", to: "pool.json")
        func run(_ shard: ShardSpec, limit: Int?) throws -> [ScoreRow] {
            var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/s\(shard.index)-\(shard.count).parquet")
            job.shard = shard
            job.limit = limit
            job.batchSize = 3
            job.prepareThreads = 2
            _ = try ScorePipeline(scorer: FakeScorer(), job: job).run()
            return try ScoreTable.readAll(path: job.output)
        }
        for limit in [nil, 17] {
            let whole = try run(.all, limit: limit)
            XCTAssertEqual(whole.count, limit ?? 23)
            for n in [2, 3, 5] {
                var tagged: [(Int, ScoreRow)] = []
                for i in 0..<n {
                    let rows = try run(try ShardSpec(index: i, count: n), limit: limit)
                    // Within a shard, the k-th row is pool position i + k n.
                    tagged += rows.enumerated().map { (i + $0.offset * n, $0.element) }
                }
                XCTAssertEqual(tagged.sorted { $0.0 < $1.0 }.map(\.1), whole, "\(n) shards, limit \(String(describing: limit))")
            }
        }
    }

    /// A JSON array broken half-way: the rows before the break are kept (and the error says so).
    func testBrokenArrayKeepsTheRowsBeforeIt() throws {
        let scratch = try PipelineScratch("broken")
        let good = (0..<5).map { poolLine(id: "g\($0)", question: "Q\($0)", answer: "A\($0)") }
        let text = "[" + good.joined(separator: ",") + " {\"id\": \"x\"}]"
        let pool = try scratch.write(text, to: "pool.json")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir, output: scratch.dir + "/out.jsonl")
        job.batchSize = 2
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: job).run()) { error in
            guard case let .brokenPool(poolError, kept, output)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertEqual(kept, 5)
            XCTAssertEqual(output, job.output)
            let offset = text.utf8.count - " {\"id\": \"x\"}]".utf8.count + 1
            XCTAssertEqual(poolError, .brokenArray(path: pool, byteOffset: offset, reason: "expected ',' or ']' between items"))
            XCTAssertTrue("\(error)".contains("kept the 5 rows scored before it in \(job.output)"), "\(error)")
            XCTAssertFalse("\(error)".contains("\n"))
        }
        XCTAssertEqual(try ScoreTable.readAll(path: job.output).map(\.id), ["g0", "g1", "g2", "g3", "g4"])
    }

    func testUnreadablePoolAndBadArguments() throws {
        let scratch = try PipelineScratch("args")
        let job = ScoreJob(pool: scratch.dir + "/none.json", imagesRoot: scratch.dir, output: scratch.dir + "/o.parquet")
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: job).run()) { error in
            XCTAssertEqual("\(error)", "cannot read \(scratch.dir)/none.json: No such file or directory")
        }
        let pool = try scratch.write("{\"conversations\": []}\n", to: "p.jsonl")
        var bad = ScoreJob(pool: pool, imagesRoot: scratch.dir, output: scratch.dir + "/o.txt")
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: bad).run()) { error in
            XCTAssertTrue("\(error)".contains("unknown table format"), "\(error)")
        }
        bad.output = scratch.dir + "/o.csv"
        bad.batchSize = 0
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: bad).run())
        for (text, valid) in [("0/1", true), ("3/4", true), ("4/4", false), ("-1/2", false), ("1/0", false), ("1", false), ("a/b", false), ("1/2/3", false)] {
            XCTAssertEqual((try? ShardSpec(parsing: text)) != nil, valid, text)
        }
        XCTAssertEqual(try ShardSpec(parsing: "2/5"), try ShardSpec(index: 2, count: 5))
    }

    func testProgressLines() throws {
        let scratch = try PipelineScratch("progress")
        let pool = try scratch.write((0..<10).map { poolLine(id: "\($0)", question: "Q", answer: "A") }.joined(separator: "\n"), to: "p.jsonl")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir, output: scratch.dir + "/o.jsonl")
        job.batchSize = 4
        job.limit = 8
        let text = Locked("")
        let progress = ProgressReporter(style: .lines, interval: 0) { line in text.update { $0 += line } }
        _ = try ScorePipeline(scorer: FakeScorer(), job: job, progress: progress).run()
        let lines = text.read().split(separator: "\n")
        XCTAssertEqual(lines.count, 2)
        XCTAssertTrue(lines[0].hasPrefix("score: 4 rows  "), String(lines[0]))
        XCTAssertTrue(lines[0].contains("/s  0 errors  50.0%  ETA "), String(lines[0]))
        XCTAssertTrue(lines[1].hasPrefix("score: 8 rows  ") && lines[1].contains("100.0%  ETA 0s"), String(lines[1]))
        XCTAssertEqual(ProgressReporter.duration(3725), "1h02m")
        XCTAssertEqual(ProgressReporter.duration(75), "1m15s")
        XCTAssertEqual(ProgressReporter.decimal(25.06, 1), "25.1")
    }

    private func item(_ pool: String, _ position: Int) throws -> PoolItem {
        let reader = try PoolReader(path: pool)
        for _ in 0..<position { _ = try reader.next() }
        return try XCTUnwrap(try reader.next())
    }
}

/// A deterministic stand-in for the model: `prepare` really decodes the images (so missing, broken and
/// Unicode-named files behave as with the model), `score` derives the numbers from the texts, and every
/// scored item is counted so tests can tell what was scored twice.
struct FakeScorer: BatchScorer {
    let scoredPositions = Locked<[Int]>([])
    /// Random per-item delay in prepare, up to this many seconds, to shuffle the workers' completion order.
    var prepareJitter = 0.0

    func prepare(_ item: PoolItem, imagesRoot: String) -> PreparedSample {
        let text = SampleText(conversations: item.conversations)
        if prepareJitter > 0 { usleep(UInt32(Double.random(in: 0...prepareJitter) * 1e6)) }
        func failed(_ reason: String) -> PreparedSample { PreparedSample(item: item, text: text, pixels: [], surface: [], error: reason) }
        if let parseError = item.parseError { return failed(parseError) }
        if item.conversations.isEmpty { return failed("no conversations") }
        for image in item.images {
            do { _ = try ImageDecoder.decode(path: imagesRoot + "/" + image) } catch { return failed(error.description) }
        }
        return PreparedSample(item: item, text: text, pixels: [], surface: [], error: nil)
    }

    func score(_ batch: [PreparedSample]) -> [ScoreRow] {
        scoredPositions.update { $0 += batch.map(\.item.position) }
        return batch.map { s in
            let item = s.item
            if let error = s.error {
                return .failed(idx: Int64(item.idx), id: item.id, image: item.imageColumn, imageSource: item.imageSource, error: error)
            }
            var h: UInt64 = 0xCBF29CE484222325
            for b in (s.text.question + "|" + s.text.answer).utf8 { h = (h ^ UInt64(b)) &* 0x100000001B3 }
            let values = (0..<23).map { k in Float((h >> UInt64(k * 2 % 61)) & 0xFFFF) / 65535 }
            return ScoreRow(idx: Int64(item.idx), id: item.id, image: item.imageColumn, imageSource: item.imageSource,
                            scores: values.prefix(14).map { $0 * 5 }, styleLogits: values.suffix(9).map { $0 * 8 - 4 },
                            styles: Styles.names[Int(h % 9)])
        }
    }
}

/// Scratch files for one test.
final class PipelineScratch {
    let dir: String

    init(_ name: String) throws {
        dir = NSTemporaryDirectory() + "mmssr-pipeline-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir + "/images", withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: dir) }

    func write(_ text: String, to name: String) throws -> String {
        let path = dir + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A small valid JPEG at `images/<name>`.
    func jpeg(_ name: String, seed: UInt8 = 0) throws {
        let (w, h) = (32, 24)
        let rgb = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        XCTAssertEqual(mmssr_jpeg_encode_rgb(rgb, UInt32(w), UInt32(h), 90, &out, &size), 0)
        defer { free(out) }
        _ = try write("", to: "images/" + name)
        try Data(UnsafeBufferPointer(start: out!, count: size)).write(to: URL(fileURLWithPath: dir + "/images/" + name))
    }
}

/// One JSONL pool line.
func poolLine(id: String, image: String? = nil, question: String, answer: String) -> String {
    var fields = ["\"id\": \(jsonString(id))"]
    if let image { fields.append("\"image\": \(jsonString(image))") }
    fields.append("\"conversations\": [{\"from\": \"human\", \"value\": \(jsonString(question))}, {\"from\": \"gpt\", \"value\": \(jsonString(answer))}]")
    return "{" + fields.joined(separator: ", ") + "}"
}
