import Foundation
import Tensor
import TestSupport
import XCTest
@testable import Scorer

final class EmbedPipelineTests: XCTestCase {
    /// Every item gets a record in pool order; bad items are error records with their reason; the vectors are
    /// what the embedder computed; the file is only under its real name once complete.
    func testRecordsInPoolOrderWithErrors() throws {
        let scratch = try PipelineScratch("embed-order")
        try scratch.jpeg("coco/a.jpg")
        let lines = [
            poolLine(id: "ok-1", image: "coco/a.jpg", question: "<image>\nWhat is shown?", answer: "A pattern."),
            poolLine(id: "missing", image: "coco/nowhere.jpg", question: "<image>\nWhat?", answer: "Nothing."),
            "{\"id\": \"no-conv\", \"conversations\": []}",
            poolLine(id: "text-ü", question: "Name a prime.", answer: "7 — 🙂"),
        ]
        let pool = try scratch.write(lines.joined(separator: "\n") + "\n", to: "pool.jsonl")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/f.mmfeat")
        job.batchSize = 3
        job.prepareThreads = 2
        let summary = try EmbedPipeline(embedder: FakeEmbedder(), job: job).run()
        XCTAssertEqual(summary.rows, 4)
        XCTAssertEqual(summary.errors, 2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: EmbedPipeline.partialPath(output: job.output)))
        let reader = try FeatureFileReader(path: job.output)
        XCTAssertEqual(reader.header.layout, FakeEmbedder.layout)
        XCTAssertEqual(reader.header.featureCount, 5)
        let rows = try readAll(reader)
        XCTAssertEqual(rows.map(\.id), ["ok-1", "missing", "no-conv", "text-ü"])
        XCTAssertEqual(rows.map(\.position), [0, 1, 2, 3])
        XCTAssertEqual(rows.map(\.isOK), [true, false, false, true])
        XCTAssertTrue(rows[1].error.contains("file not found"), rows[1].error)
        XCTAssertEqual(rows[2].error, "no conversations")
        XCTAssertEqual(rows[0].imageSource, "coco")
        XCTAssertEqual(rows[3].values, FakeEmbedder.vector(SampleText(question: "Name a prime.", answer: "7 — 🙂")))
    }

    /// The shard files, merged by position, hold the whole pool's records.
    func testShardsComposeToTheWholeFile() throws {
        let scratch = try PipelineScratch("embed-shards")
        let items = (0..<17).map { i in
            i % 6 == 5 ? "{\"idx\": \(100 + i), \"conversations\": 5}" : poolLine(id: "s\(i)", question: "Q\(i)?", answer: "A\(i)")
        }
        let pool = try scratch.write("[\n" + items.joined(separator: ",\n") + "\n]", to: "pool.json")
        func run(_ shard: ShardSpec) throws -> [FeatureRow] {
            var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/s\(shard.index)-\(shard.count).mmfeat")
            job.shard = shard
            job.batchSize = 2
            _ = try EmbedPipeline(embedder: FakeEmbedder(), job: job).run()
            return try readAll(try FeatureFileReader(path: job.output))
        }
        let whole = try run(.all)
        XCTAssertEqual(whole.count, 17)
        var merged: [FeatureRow] = []
        for i in 0..<3 { merged += try run(try ShardSpec(index: i, count: 3)) }
        XCTAssertEqual(merged.sorted { $0.position < $1.position }, whole)
    }

    /// A run cut after some batches (its partial file torn mid-record) resumes to the uninterrupted file;
    /// without --resume the partial file is refused.
    func testResumeContinuesATornPartialFile() throws {
        let scratch = try PipelineScratch("embed-resume")
        let pool = try scratch.write((0..<11).map { poolLine(id: "r\($0)", question: "Q\($0)?", answer: "A\($0)") }.joined(separator: "\n") + "\n", to: "pool.jsonl")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/full.mmfeat")
        job.batchSize = 2
        _ = try EmbedPipeline(embedder: FakeEmbedder(), job: job).run()
        let expected = try Data(contentsOf: URL(fileURLWithPath: job.output))

        // The partial file of an interrupted run: the same bytes, cut inside the 6th record's payload.
        job.output = scratch.dir + "/cut.mmfeat"
        let partial = EmbedPipeline.partialPath(output: job.output)
        let header = try FeatureFileReader(path: scratch.dir + "/full.mmfeat")
        for _ in 0..<5 { _ = try header.next() }
        try expected.prefix(header.offset + 40).write(to: URL(fileURLWithPath: partial))
        XCTAssertThrowsError(try EmbedPipeline(embedder: FakeEmbedder(), job: job).run()) { error in
            XCTAssertTrue("\(error)".contains("--resume"), "\(error)")
        }
        job.resume = true
        let embedder = FakeEmbedder()
        let summary = try EmbedPipeline(embedder: embedder, job: job).run()
        XCTAssertEqual(summary.resumed, 5)
        XCTAssertEqual(summary.scored, 6)
        XCTAssertEqual(embedder.embedded.read(), 6)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: job.output)), expected)
    }

    /// The real model: the vectors in the file are `ScoringModel.features`, so the heads applied to them give
    /// the scores `mmssr score` writes.
    func testRealModelFeaturesGiveTheScores() throws {
        let model = try ScoringModel(path: try ModelPaths.require(ModelPaths.int8))
        let scratch = try PipelineScratch("embed-model")
        try scratch.jpeg("p/x.jpg", seed: 3)
        let pool = try scratch.write([
            poolLine(id: "a", image: "p/x.jpg", question: "<image>\nWhat colour dominates?", answer: "Grey stripes."),
            poolLine(id: "b", question: "Is 7 prime? Answer yes or no.", answer: "Yes"),
        ].joined(separator: "\n") + "\n", to: "pool.jsonl")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/m.mmfeat")
        _ = try EmbedPipeline(embedder: model, job: job).run()
        let rows = try readAll(try FeatureFileReader(path: job.output))
        XCTAssertEqual(rows.count, 2)
        job.output = scratch.dir + "/m.jsonl"
        _ = try ScorePipeline(scorer: model, job: job).run()
        let scores = try ScoreTable.readAll(path: job.output)
        let heads = model.heads(Tensor(shape: [2, model.heads.featureCount], data: rows.flatMap { $0.values! }))
        for (out, row) in zip(heads, scores) {
            for (a, b) in zip(out.scores, row.scores) { XCTAssertEqual(a, b!, accuracy: 1e-4) }
        }
    }

    private func readAll(_ reader: FeatureFileReader) throws -> [FeatureRow] {
        var rows: [FeatureRow] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }
}

/// A deterministic stand-in: real image decoding (via FakeScorer), features derived from the texts.
struct FakeEmbedder: BatchEmbedder {
    static let layout = ["a:2", "b:3"]
    let embedded = Locked(0)
    var featureLayout: [String] { Self.layout }

    func prepare(_ item: PoolItem, imagesRoot: String) -> PreparedSample {
        FakeScorer().prepare(item, imagesRoot: imagesRoot)
    }

    func features(_ batch: [PreparedSample]) -> Tensor {
        let ok = batch.filter { $0.error == nil }
        embedded.update { $0 += batch.count }
        return Tensor(shape: [ok.count, 5], data: ok.flatMap { Self.vector($0.text) })
    }

    static func vector(_ text: SampleText) -> [Float] {
        var h: UInt64 = 0xCBF29CE484222325
        for b in (text.question + "|" + text.answer).utf8 { h = (h ^ UInt64(b)) &* 0x100000001B3 }
        return (0..<5).map { Float((h >> UInt64(8 * $0)) & 0xFF) / 255 - 0.5 }
    }
}
