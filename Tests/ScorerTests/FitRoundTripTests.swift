import Foundation
import Tensor
import TestSupport
import XCTest
@testable import Scorer

/// embed -> teacher labels -> fit -> score, on the bundled example pool and the real model: the fitted
/// model's scores follow the labels it was fitted to better than the default heads do.
final class FitRoundTripTests: XCTestCase {
    func testFittedModelScoresFollowTheLabels() throws {
        let basePath = try ModelPaths.require(ModelPaths.int8)
        let pool = ModelPaths.repository.appendingPathComponent("example/pool.json").path
        let images = ModelPaths.repository.appendingPathComponent("example/images").path
        let scratch = try PipelineScratch("fit-roundtrip")
        let model = try ScoringModel(path: basePath)
        var job = ScoreJob(pool: pool, imagesRoot: images, output: scratch.dir + "/pool.mmfeat")
        job.batchSize = 16
        _ = try EmbedPipeline(embedder: model, job: job).run()

        // The "teacher": long answers are language-heavy, very short ones are data-light.
        let reader = try PoolReader(path: pool)
        var lines = ["idx,language,data"], truth: [Int64: (Float, Float)] = [:]
        while let item = try reader.next() {
            let words = SampleText(conversations: item.conversations).answer.split(whereSeparator: \.isWhitespace).count
            let t: (Float, Float) = (words >= 30 ? 5 : 1, words < 5 ? 4 : 0)
            truth[Int64(item.idx)] = t
            lines.append("\(item.idx),\(Int(t.0)),\(Int(t.1))")
        }
        let labels = try scratch.write(lines.joined(separator: "\n") + "\n", to: "teacher.csv")
        var fit = FitJob(features: [job.output], labels: labels, output: scratch.dir + "/fitted.gguf", base: basePath)
        fit.holdout = 0
        let report = try Distillation.run(fit)
        XCTAssertEqual(report.counts.joined, 72)

        func scores(_ modelPath: String) throws -> [ScoreRow] {
            var scoreJob = ScoreJob(pool: pool, imagesRoot: images, output: scratch.dir + "/\((modelPath as NSString).lastPathComponent).parquet")
            scoreJob.batchSize = 16
            _ = try ScorePipeline(scorer: try ScoringModel(path: modelPath), job: scoreJob).run()
            return try ScoreTable.readAll(path: scoreJob.output)
        }
        let fitted = try ScoringModel(path: fit.output)
        XCTAssertTrue(fitted.heads.kind.hasPrefix("fitted (2/14 capabilities"), fitted.heads.kind)
        let after = try scores(fit.output)
        // The default heads' scores: the base heads on the embedded features (what `score` gives, see EmbedPipelineTests).
        let embedded = try FeatureFileReader(path: job.output)
        var vectors: [Float] = []
        while let row = try embedded.next() { vectors += row.values! }
        let before = model.heads(Tensor(shape: [after.count, model.heads.featureCount], data: vectors))
        for (c, pick) in [(5, { (t: (Float, Float)) in t.0 }), (12, { (t: (Float, Float)) in t.1 })] {
            let teacher = after.map { pick(truth[$0.idx]!) }
            let rhoAfter = FitMetrics.spearman(teacher, after.map { $0.scores[c]! })
            let rhoBefore = FitMetrics.spearman(teacher, before.map { $0.scores[c] })
            print("\(Capabilities.keys[c]): rho fitted \(rhoAfter), default \(rhoBefore)")
            // Two-valued labels cap rho below 1 (at about 0.87 for an even split): 0.65 means near-perfect ranking.
            XCTAssertGreaterThan(rhoAfter, 0.65)
            XCTAssertGreaterThan(rhoAfter, rhoBefore + 0.3)
        }
        // Unfitted capabilities score as before.
        for (a, b) in zip(after, before) { XCTAssertEqual(a.scores[0]!, b.scores[0], accuracy: 1e-4) }
    }
}
