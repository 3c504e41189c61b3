import Foundation
@testable import Scorer
import Tensor
import TestSupport
import XCTest

final class FitTests: XCTestCase {
    /// Labels that are a known function of the features are recovered; pure-noise labels are not, and the
    /// report says so; capabilities without labels keep the base head; the file keeps everything else.
    func testKnownFunctionIsRecoveredAndNoiseIsFlagged() throws {
        let basePath = try ModelPaths.require(ModelPaths.int8)
        let base = try GGUFFile(path: basePath)
        let layout = try base.strings("heads.features")
        let f = FeatureFileHeader(layout: layout, model: "synthetic", run: "test").featureCount
        let scratch = try PipelineScratch("fit-synthetic")
        var rng = SplitMix64(seed: 7)
        let n = 1200
        var rows: [FeatureRow] = [], label: [String] = ["idx,spatial,ocr,styles"]
        // Like real embeddings, the features live near a low-dimensional subspace: x = A u + noise.
        let latent = 12
        let mixing = (0..<(f * latent)).map { _ in Float(rng.gaussian()) / Float(latent).squareRoot() }
        for i in 0..<n {
            let u = (0..<latent).map { _ in Float(rng.gaussian()) }
            let x = (0..<f).map { j in (0..<latent).reduce(Float(0)) { $0 + mixing[j * latent + $1] * u[$1] } + 0.1 * Float(rng.gaussian()) }
            rows.append(FeatureRow(position: i, idx: Int64(1000 + i), imageSource: "src\(i % 3)", values: x))
            let z = 0.9 * u[0] - 0.7 * u[1] + 0.5 * u[2]
            let spatial = min(max((2.5 + 1.3 * z).rounded(), 0), 5)
            let noise = Int(rng.next() % 6)
            let styles = [u[3] > 0 ? "yes/no" : nil, u[4] > 0.5 ? "coordinate" : nil, u[3] <= 0 ? "detailed description" : nil]
                .compactMap { $0 }.joined(separator: ",")
            // Some cells the reader must count and skip: an unparsable score, an unknown style.
            let spatialCell = i == 5 ? "n/a" : String(Int(spatial))
            label.append("\(1000 + i),\(spatialCell),\(noise),\"\(styles)\(i == 6 ? ",haiku" : "")\"")
        }
        rows.append(FeatureRow(position: n, idx: 5000, values: nil, error: "file not found"))
        label.append("5000,3,3,yes/no")   // labelled, but its feature row is an error row
        label.append("7777,2,2,yes/no")   // labelled, but not embedded
        let features = try writeFeatures(rows, layout: layout, to: scratch.dir + "/x.mmfeat")
        let labels = try scratch.write(label.joined(separator: "\n") + "\n", to: "labels.csv")

        var job = FitJob(features: [features], labels: labels, output: scratch.dir + "/fitted.gguf", base: basePath)
        job.seed = 3
        var selections = 0
        let start = Date()
        let report = try Distillation.run(job, select: { rows, caps, budget in
            selections += 1
            XCTAssertEqual(caps, [0, 13])
            // A stand-in for mmssr selection: the top rows by the mean chosen score.
            let k = Int(Double(rows.count) * budget)
            return rows.sorted { a, b in
                let (sa, sb) = (caps.map { a.scores[$0] ?? 0 }.reduce(0, +), caps.map { b.scores[$0] ?? 0 }.reduce(0, +))
                return sa != sb ? sa > sb : a.idx < b.idx
            }.prefix(k).map(\.idx)
        })
        print("fit on \(n) x \(f) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
        report.summary.forEach { print($0) }

        XCTAssertEqual(report.counts.joined, n)
        XCTAssertEqual(report.counts.labelledFeatureErrors, 1)
        XCTAssertEqual(report.counts.absentFromFeatures, 1)
        XCTAssertEqual(report.counts.holdout, n / 5)
        XCTAssertEqual(report.labelProblems.unparsableScores, 1)
        XCTAssertEqual(report.labelProblems.unknownStyles, 1)
        let spatial = try XCTUnwrap(report.capabilities.first { $0.key == "spatial" })
        let ocr = try XCTUnwrap(report.capabilities.first { $0.key == "ocr" })
        XCTAssertGreaterThanOrEqual(try XCTUnwrap(spatial.holdoutRho), 0.95)
        XCTAssertGreaterThan(try XCTUnwrap(spatial.top30Overlap), 0.8)
        XCTAssertLessThan(abs(try XCTUnwrap(ocr.holdoutRho)), 0.2)
        XCTAssertTrue(report.warnings.contains { $0.hasPrefix("capability ocr: holdout rho") && $0.hasSuffix("the student did not learn it") }, "\(report.warnings)")
        XCTAssertFalse(report.warnings.contains { $0.hasPrefix("capability spatial") })
        XCTAssertTrue(report.warnings.contains("capability scene: no labels; kept the base model's head"))
        XCTAssertGreaterThan(try XCTUnwrap(report.styles.microF1), 0.9)
        XCTAssertEqual(selections, 6)
        XCTAssertEqual(report.selection.map(\.budget), Distillation.selectionBudgets)
        XCTAssertGreaterThan(report.selection[2].overlap, 0.5)
        XCTAssertTrue(report.json().contains("\"holdout_rho\""))

        // The file: only the heads and heads.kind changed; unfitted capabilities keep their base rows.
        let fitted = try GGUFFile(path: job.output)
        XCTAssertTrue(try fitted.string("heads.kind").hasPrefix("fitted (2/14 capabilities and styles"))
        XCTAssertEqual(try fitted.strings("heads.features"), layout)
        XCTAssertEqual(fitted.tensors.map(\.name), base.tensors.map(\.name))
        for info in base.tensors where !info.name.hasPrefix("h.") {
            XCTAssertTrue(Array(fitted.rawBytes(fitted.info(info.name)!)) == Array(base.rawBytes(info)), info.name)
        }
        let (bw, fw) = (try base.floats(tensor: "h.cap.weight"), try fitted.floats(tensor: "h.cap.weight"))
        let scene = 3 * 6 * f
        XCTAssertEqual(Array(fw[scene..<(scene + 6 * f)]), Array(bw[scene..<(scene + 6 * f)]))
        XCTAssertNotEqual(Array(fw[0..<(6 * f)]), Array(bw[0..<(6 * f)]))
        // Folding the standardisation back: the file's heads on raw features give what the holdout saw.
        let heads = try ScoreHeads(file: fitted, expectedLayout: layout)
        let probe = heads(Tensor(shape: [2, f], data: rows[0].values! + rows[1].values!))
        XCTAssertEqual(probe.count, 2)
    }

    /// The official mmSSR folder layout reads as labels, with bad lines counted.
    func testOfficialFolderLabels() throws {
        let scratch = try PipelineScratch("fit-folder")
        _ = try scratch.write("{\"idx\": 1, \"pred_response\": \"4\"}\n{\"idx\": 2, \"pred_response\": \"unsure\"}\nnot json\n", to: "teacher/spatial.jsonl")
        _ = try scratch.write("{\"idx\": 1, \"pred_response\": \"yes/no,coordinate\"}\n", to: "teacher/style.jsonl")
        let labels = try LabelReader.read(path: scratch.dir + "/teacher")
        XCTAssertEqual(labels.count, 1)
        XCTAssertEqual(labels.scores[0][labels.row(of: 1)!], 4)
        XCTAssertEqual(labels.styles[labels.row(of: 1)!], 0b110)
        XCTAssertEqual(labels.problems.unparsableScores, 1)
        XCTAssertEqual(labels.problems.unreadableRows, 1)
    }

    private func writeFeatures(_ rows: [FeatureRow], layout: [String], to path: String) throws -> String {
        var bytes = Array(FeatureFileHeader(layout: layout, model: "synthetic", run: "test").encoded().utf8)
        for row in rows { FeatureRecordCodec.encode(row, into: &bytes) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// Seeded random numbers for the synthetic data.
extension SplitMix64 {
    fileprivate mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }

    fileprivate mutating func gaussian() -> Double {
        (-2 * Foundation.log(max(uniform(), 1e-300))).squareRoot() * Foundation.cos(2 * Double.pi * uniform())
    }
}
