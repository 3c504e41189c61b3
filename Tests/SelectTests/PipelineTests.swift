import Foundation
import XCTest
import Scorer
@testable import Select

/// `mmssr select` end to end: subset bytes, manifest, idx list, report, official-folder input.
final class PipelineTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "select-pipeline-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(atPath: dir) }
    }

    /// Items with odd spacing, unicode and unknown fields, so "verbatim" is tested, not re-encoded JSON.
    private func writePool() throws -> (path: String, items: [String]) {
        var items: [String] = []
        for i in 0..<12 {
            let src = ["coco", "中文", "geo170k(qa)"][i % 3]
            items.append("{ \"id\" : \"s\(i)\",\"image\":\"\(src)/\(i).jpg\",  \"extra\":{\"n\":[\(i), 1.50]},\"conversations\":[{\"from\":\"human\",\"value\":\"<image>\\nQ\(i) é\"},{\"from\":\"gpt\",\"value\":\"A\"}]}")
        }
        let path = dir + "/pool.json"
        try Data(("[\n" + items.joined(separator: ",\n\t") + "\n]").utf8).write(to: URL(fileURLWithPath: path))
        return (path, items)
    }

    private func rows() -> [ScoreRow] {
        (0..<12).map { i in
            let src = ["coco", "中文", "geo170k(qa)"][i % 3]
            if i == 5 { return .failed(idx: 5, id: "s5", image: "\(src)/5.jpg", imageSource: src, error: "file missing") }
            var scores = [Float?](repeating: 1, count: 14)
            scores[0] = Float(i % 6)
            scores[13] = Float(5 - i % 6)
            return ScoreRow(idx: Int64(i), id: "s\(i)", image: "\(src)/\(i).jpg", imageSource: src, scores: scores,
                            styles: i % 2 == 0 ? "multi-choice" : "yes/no, short description")
        }
    }

    func testSubsetIsVerbatimInPoolOrderWithManifestAndIds() throws {
        let (pool, items) = try writePool()
        let table = dir + "/scores.parquet"
        try ScoreTable.write(rows(), to: table)
        var options = SelectionOptions(capabilities: [0, 13], budget: .ratio(0.5))
        options.threshold = 0
        let request = SelectPipeline.Request(
            input: .table(table), pool: pool, output: dir + "/subset.json", options: options, idsOut: dir + "/ids.txt",
            reportDirectory: dir + "/report", commandLine: ["mmssr", "select"])
        let outcome = try SelectPipeline.run(request)
        XCTAssertEqual(outcome.selection.rows.count, 6)
        let ids = try String(contentsOfFile: dir + "/ids.txt", encoding: .utf8).split(separator: "\n").map { Int($0)! }
        XCTAssertEqual(ids, ids.sorted())
        XCTAssertFalse(ids.contains(5))
        let expected = "[\n" + ids.map { items[$0] }.joined(separator: ",\n") + "\n]\n"
        XCTAssertEqual(try String(contentsOfFile: dir + "/subset.json", encoding: .utf8), expected)
        XCTAssertNoThrow(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/subset.json"))))

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/subset.manifest.json"))) as! [String: Any]
        XCTAssertEqual(manifest["budget"] as? Int, 6)
        XCTAssertEqual(manifest["selected"] as? Int, 6)
        XCTAssertEqual(manifest["shortfall"] as? Int, 0)
        XCTAssertEqual(manifest["pool_items"] as? Int, 12)
        let perCap = manifest["per_capability"] as! [String: Int]
        XCTAssertEqual(perCap.values.reduce(0, +), 6)
        let perSource = manifest["per_source"] as! [String: Int]
        XCTAssertEqual(perSource.values.reduce(0, +), 6)
        let perStyle = manifest["per_style"] as! [String: Int]
        let picked = ids.map { rows()[$0] }
        XCTAssertEqual(perStyle["style_multichoice"] ?? 0, picked.filter { $0.styles == "multi-choice" }.count)
        XCTAssertEqual(perStyle["style_yesno"] ?? 0, picked.filter { $0.styles.hasPrefix("yes/no") }.count)
        let html = try String(contentsOfFile: dir + "/report/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<svg") && html.contains("spatial") && html.contains("中文"))
        XCTAssertFalse(html.contains("<script"))
    }

    func testOfficialFolderInputTakesSourcesFromThePool() throws {
        let (pool, items) = try writePool()
        let folder = dir + "/official"
        let writer = try MMSSRFolderWriter(directory: folder)
        for r in rows() { try writer.write(r) }
        try writer.finish()
        let request = SelectPipeline.Request(
            input: .mmssrFolder(folder), pool: pool, output: dir + "/subset.json",
            options: SelectionOptions(capabilities: [0], threshold: 3, budget: .count(3)))
        let outcome = try SelectPipeline.run(request)
        // spatial = i % 6 > 3 holds for 4, 10 (5 is an error row, absent from the folder) and 11 -> 3 rows.
        XCTAssertEqual(outcome.written, 3)
        XCTAssertEqual(try String(contentsOfFile: dir + "/subset.json", encoding: .utf8), "[\n" + [4, 10, 11].map { items[$0] }.joined(separator: ",\n") + "\n]\n")
        XCTAssertEqual(Set(outcome.manifest.perSource.map(\.0)), ["中文", "geo170k(qa)"])
        XCTAssertEqual(outcome.manifest.poolItems, 12)
    }

    /// --ids-out lists the pool's order, also for a folder (whose rows come by idx): here idx descend in the pool.
    func testOfficialFolderIdsOutInPoolOrder() throws {
        let (_, items) = try writePool()
        let idx = (0..<12).map { 100 - 7 * $0 }
        let pool = dir + "/pool-idx.json"
        let withIdx = zip(items, idx).map { "{\"idx\": \($1), " + $0.dropFirst() }
        try Data(("[\n" + withIdx.joined(separator: ",\n") + "\n]").utf8).write(to: URL(fileURLWithPath: pool))
        let folder = dir + "/official"
        let writer = try MMSSRFolderWriter(directory: folder)
        for r in rows() { var r = r; r.idx = Int64(idx[Int(r.idx)]); try writer.write(r) }
        try writer.finish()
        let outcome = try SelectPipeline.run(.init(
            input: .mmssrFolder(folder), pool: pool, output: dir + "/subset.json",
            options: SelectionOptions(capabilities: [0], threshold: 2, budget: .count(5)), idsOut: dir + "/ids.txt"))
        XCTAssertEqual(outcome.written, 5)
        let ids = try String(contentsOfFile: dir + "/ids.txt", encoding: .utf8).split(separator: "\n").map { Int($0)! }
        XCTAssertEqual(ids.count, 5)
        XCTAssertEqual(ids, idx.filter(ids.contains), "pool order")
        XCTAssertEqual(ids, ids.sorted(by: >))
    }

    /// A repeated idx is refused, naming it and both rows, in every format (select once wrote 1 item for 18).
    func testRepeatedIdxIsAnError() throws {
        let (pool, _) = try writePool()
        for format in ScoreTable.Format.allCases {
            let table = dir + "/dup.\(format)"
            try ScoreTable.write(rows().map { var r = $0; if r.idx == 7 { r.idx = 3 }; return r }, to: table)
            XCTAssertThrowsError(try SelectPipeline.run(.init(
                input: .table(table), pool: pool, output: dir + "/subset.json",
                options: SelectionOptions(capabilities: [0], threshold: 0, budget: .count(12))))) {
                XCTAssertEqual(($0 as? SelectError)?.description,
                               "\(table), row 8: idx 3 again (first on row 4); a score table holds one row per pool item")
            }
        }
    }

    func testShortfallIsReportedNotFatal() throws {
        let (pool, _) = try writePool()
        let table = dir + "/scores.csv"
        try ScoreTable.write(rows(), to: table)
        var logged: [String] = []
        let outcome = try SelectPipeline.run(.init(
            input: .table(table), pool: pool, output: dir + "/subset.json",
            options: SelectionOptions(capabilities: [0], threshold: 4, budget: .count(5)))) { logged.append($0) }
        // spatial = i % 6 > 4 only for 5 (an error row) and 11.
        XCTAssertEqual(outcome.selection.rows.count, 1)
        XCTAssertEqual(outcome.manifest.shortfall, 4)
        XCTAssertTrue(logged.contains("warning: selected 1 of the budget 5: short by 4, not enough ok rows pass the threshold"), "\(logged)")
    }

    func testTableFromAnotherPoolFails() throws {
        let (pool, _) = try writePool()
        let table = dir + "/scores.jsonl"
        try ScoreTable.write(rows().map { var r = $0; r.idx += 100; return r }, to: table)
        XCTAssertThrowsError(try SelectPipeline.run(.init(
            input: .table(table), pool: pool, output: dir + "/subset.json",
            options: SelectionOptions(capabilities: [0], budget: .count(2))))) {
            let message = ($0 as? SelectError)?.description ?? ""
            XCTAssertTrue(message.hasPrefix("2 selected idx are not in the pool \(pool) (e.g. 1"), message)
            XCTAssertTrue(message.hasSuffix("): the score table belongs to another pool"), message)
        }
    }
}
