import Foundation
import XCTest
@testable import Scorer

/// Resume after a kill at any moment. A SIGKILL can stop the run between any two bytes of the checkpoint
/// (the temporary table is never trusted: resume rebuilds it), so cutting a complete checkpoint around and
/// inside every line covers every kind of moment; PipelineModelTests kills a real `mmssr score` as well.
final class PipelineResumeTests: XCTestCase {
    func testResumeAfterACutAnywhereEqualsAnUninterruptedRun() throws {
        let scratch = try PipelineScratch("resume")
        try scratch.jpeg("a/x.jpg")
        let lines = (0..<9).map { i in
            i == 4 ? "{\"broken\": " : poolLine(id: "r\(i)", image: i % 3 == 0 ? "a/x.jpg" : "a/missing.jpg", question: "Q\(i) ✓", answer: "A\(i)")
        }
        let pool = try scratch.write(lines.joined(separator: "\n") + "\n", to: "pool.jsonl")
        for shard in [ShardSpec.all, try ShardSpec(index: 1, count: 2)] {
            var job = ScoreJob(pool: pool, imagesRoot: scratch.dir + "/images", output: scratch.dir + "/out.parquet")
            job.shard = shard
            job.batchSize = 2
            job.mmssrFolder = scratch.dir + "/official"
            _ = try ScorePipeline(scorer: FakeScorer(), job: job).run()
            let reference = try ScoreTable.readAll(path: job.output)
            let referenceFolder = try folderText(job.mmssrFolder!)
            let positions = (0..<9).filter { shard.contains(position: $0) }
            XCTAssertEqual(reference.count, positions.count)

            // The checkpoint a run writes just before its final rename.
            let header = CheckpointCodec.header(fingerprint: ScorePipeline.fingerprint(job, poolBytes: try size(pool)))
            let full = Array((header + zip(positions, reference).map { CheckpointCodec.line(position: $0, row: $1) }.joined()).utf8)
            let lineEnds = full.indices.filter { full[$0] == 0x0A }.map { $0 + 1 }
            // Every line end, one byte either side, the middle of every line, and the first bytes of the header.
            let cuts = Set([0, 1, 2] + lineEnds.flatMap { [$0 - 1, $0, $0 + 1, $0 + 40] }).filter { $0 <= full.count }
            for cut in cuts.sorted() {
                try Data(full[0..<cut]).write(to: URL(fileURLWithPath: ScorePipeline.checkpointPath(output: job.output)))
                _ = try scratch.write("stale half-written table", to: "out.parquet.tmp")
                try? FileManager.default.removeItem(atPath: job.output)
                let finished = max(lineEnds.filter { $0 <= cut }.count - 1, 0)
                var resumed = job
                resumed.resume = true
                let scorer = FakeScorer()
                let summary = try ScorePipeline(scorer: scorer, job: resumed).run()
                XCTAssertEqual(try ScoreTable.readAll(path: job.output), reference, "cut at byte \(cut)")
                XCTAssertEqual(try folderText(job.mmssrFolder!), referenceFolder, "cut at byte \(cut)")
                XCTAssertEqual(scorer.scoredPositions.read(), Array(positions[finished...]), "cut at byte \(cut): rescored a finished row")
                XCTAssertEqual(summary.resumed, finished)
                XCTAssertFalse(FileManager.default.fileExists(atPath: ScorePipeline.checkpointPath(output: job.output)))
            }
        }
    }

    func testACheckpointIsNeverOverwrittenOrMixedWithAnotherRun() throws {
        let scratch = try PipelineScratch("refuse")
        let pool = try scratch.write((0..<4).map { poolLine(id: "\($0)", question: "Q\($0)", answer: "A") }.joined(separator: "\n"), to: "p.jsonl")
        var job = ScoreJob(pool: pool, imagesRoot: scratch.dir, output: scratch.dir + "/o.jsonl")
        let checkpoint = ScorePipeline.checkpointPath(output: job.output)
        let header = CheckpointCodec.header(fingerprint: ScorePipeline.fingerprint(job, poolBytes: try size(pool)))
        _ = try scratch.write(header, to: "o.jsonl.checkpoint.jsonl")
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: job).run()) { error in
            XCTAssertEqual("\(error)", "\(checkpoint): an interrupted run left this checkpoint: rerun with --resume to continue it, or delete it to start over")
        }
        job.resume = true
        job.shard = try ShardSpec(index: 0, count: 2)
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: job).run()) { error in
            XCTAssertTrue("\(error)".contains("belongs to a different run"), "\(error)")
        }
        _ = try scratch.write(header + "{\"position\": 0, \"garbage\n{}\n", to: "o.jsonl.checkpoint.jsonl")
        job.shard = .all
        XCTAssertThrowsError(try ScorePipeline(scorer: FakeScorer(), job: job).run()) { error in
            XCTAssertTrue("\(error)".contains("line 2: bad JSON"), "\(error)")
        }
        // --resume with nothing to resume is an ordinary run.
        try FileManager.default.removeItem(atPath: checkpoint)
        XCTAssertEqual(try ScorePipeline(scorer: FakeScorer(), job: job).run().rows, 4)
    }

    private func size(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
    }

    private func folderText(_ dir: String) throws -> [String] {
        try (Capabilities.keys + ["style"]).map { try String(contentsOfFile: "\(dir)/\($0).jsonl", encoding: .utf8) }
    }
}
