import Foundation
import Scorer
@testable import Select
import Tensor
import XCTest

/// Random tables: invariants of the mmSSR selector, and agreement with tools/select_reference.py.
final class SelectorPropertyTests: XCTestCase {
    static func randomRows(_ n: Int, _ rng: inout SplitMix64) -> [ScoreRow] {
        let sources = ["coco", "geo170k(qa)", "ocr_vqa", "中文"]
        var idxs = Array(0..<Int64(n)).map { $0 * 3 + 1 }
        idxs.shuffle(using: &rng)
        return idxs.map { idx in
            if rng.uniform(below: 10) == 0 { return .failed(idx: idx, imageSource: "coco", error: "missing") }
            let scores: [Float?] = (0..<14).map { _ in rng.uniform(below: 12) == 0 ? nil : Float(rng.uniform(below: 11)) / 2 }
            var styles: [String] = []
            for _ in 0...rng.uniform(below: 3) { styles.append(Styles.names[Int(rng.uniform(below: 9))]) }
            return ScoreRow(
                idx: idx, imageSource: sources[Int(rng.uniform(below: 4))], scores: scores,
                styles: styles.joined(separator: ", "))
        }
    }

    func testInvariantsOnRandomTables() throws {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<40 {
            let rows = Self.randomRows(150 + Int(rng.uniform(below: 250)), &rng)
            let caps = Array(Array(0..<14).shuffled(using: &rng).prefix(1 + Int(rng.uniform(below: 14))))
            let thr = [Float(0), 1.5, 3.5][Int(rng.uniform(below: 3))]
            let budget = Int(rng.uniform(below: UInt64(rows.count)))  + 1
            var store = ScoreStore()
            for r in rows { try store.append(r) }
            let options = SelectionOptions(capabilities: caps, threshold: thr, budget: .count(budget))
            let sel = Selector.run(store, options, poolSize: rows.count)
            let eligible = rows.filter { r in r.status == .ok && caps.contains { (r.scores[$0] ?? -1) > thr } }
            let picked = sel.rows.map { rows[Int($0)] }
            XCTAssertEqual(picked.count, min(budget, eligible.count), "trial \(trial)")
            XCTAssertEqual(Set(picked.map(\.idx)).count, picked.count, "duplicates in trial \(trial)")
            for r in picked {
                XCTAssertEqual(r.status, .ok)
                XCTAssertTrue(caps.contains { (r.scores[$0] ?? -1) > thr }, "row \(r.idx) below threshold")
            }
            XCTAssertEqual(sel.perCapability.reduce(0, +), picked.count)
            XCTAssertEqual(Selector.run(store, options, poolSize: rows.count).rows, sel.rows, "not deterministic")
        }
    }

    func testAgreesWithPythonTranscriptionOfSpec() throws {
        var rng = SplitMix64(seed: 11)
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/select_reference.py").path
        for trial in 0..<12 {
            let rows = Self.randomRows(200 + Int(rng.uniform(below: 300)), &rng)
            let caps = Array(Array(0..<14).shuffled(using: &rng).prefix(1 + Int(rng.uniform(below: 5))))
            let thr = [Float(0), 2, 3.5][Int(rng.uniform(below: 3))]
            let budget = Int(rng.uniform(below: UInt64(rows.count / 2))) + 1
            let path = NSTemporaryDirectory() + "select-ref-\(UUID().uuidString).csv"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try ScoreTable.write(rows, to: path)
            var store = ScoreStore()
            for r in rows { try store.append(r) }
            let sel = Selector.run(store, SelectionOptions(capabilities: caps, threshold: thr, budget: .count(budget)), poolSize: rows.count)
            let ours = sel.rows.map { store.idx[Int($0)] }

            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", tool, path, "--budget", "\(budget)", "--caps",
                                 caps.map { Capabilities.keys[$0] }.joined(separator: ","), "--thr", "\(thr)"]
            let out = Pipe()
            process.standardOutput = out
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationStatus, 0, "tools/select_reference.py failed (needs python3)")
            let reference = String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap { Int64($0) }
            XCTAssertEqual(ours, reference, "trial \(trial): caps \(caps) thr \(thr) budget \(budget)")
        }
    }
}
