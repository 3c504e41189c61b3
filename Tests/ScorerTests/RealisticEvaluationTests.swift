import Foundation
import XCTest
import TestSupport
@testable import Scorer

/// The default heads on the held-out realistic set (example/realistic, labelled by SPEC §1b before any
/// evaluation): the test split, whose sources the heads were never tuned on, must meet issue #17's bars and beat
/// the regex/keyword baseline; the dev split, which they were tuned on, must stay at its measured level. The
/// floors are the measured figures less a small margin, so a regression fails here.
final class RealisticEvaluationTests: XCTestCase {
    private func evaluate(_ split: String, fp32: Bool) throws -> ExampleEvaluation {
        let root = ModelPaths.repository.appendingPathComponent("example/realistic")
        let images = root.appendingPathComponent("images").path
        guard FileManager.default.fileExists(atPath: images) else {
            throw MissingModel(description: "missing \(images): run python3 example/realistic/make_images.py (scripts/test.sh does)")
        }
        let model = try ScoringModel(path: ModelPaths.require(ModelPaths.int8))
        let reference = fp32 ? try ScoringModel(path: ModelPaths.int8, fp32: true) : nil
        let folder = root.appendingPathComponent(split)
        let result = try ExampleEvaluation.run(model: model, fp32: reference, pool: folder.appendingPathComponent("pool.json").path,
                                               images: images, labels: try ItemLabels.load(path: folder.appendingPathComponent("labels.json").path))
        print("\(split):\n\(result.report())")
        return result
    }

    func testHeldOutTestSplitMeetsTheBarsAndBeatsTheBaseline() throws {
        let result = try evaluate("test", fp32: true)
        XCTAssertEqual(result.items, 272)
        XCTAssertGreaterThanOrEqual(result.heads.styleMacroF1, 0.93)
        XCTAssertGreaterThan(result.heads.styleMacroF1, result.baseline.styleMacroF1)
        for (name, f1) in zip(Styles.names, result.heads.perStyleF1) {
            XCTAssertGreaterThanOrEqual(try XCTUnwrap(f1, name), 0.8, name)
        }
        XCTAssertGreaterThanOrEqual(result.heads.top3HitRate, 0.85)
        XCTAssertGreaterThan(result.heads.top3HitRate, result.baseline.top3HitRate)
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(result.precisionAgreement), 0.99)
    }

    func testDevSplitStaysAtItsMeasuredLevel() throws {
        let result = try evaluate("dev", fp32: false)
        XCTAssertEqual(result.items, 236)
        XCTAssertGreaterThanOrEqual(result.heads.styleMacroF1, 0.95)
        XCTAssertGreaterThanOrEqual(result.heads.top3HitRate, 0.96)
        XCTAssertGreaterThan(result.heads.styleMacroF1, result.baseline.styleMacroF1)
        XCTAssertGreaterThan(result.heads.top3HitRate, result.baseline.top3HitRate)
    }
}
