import Foundation
import XCTest
@testable import Scorer

final class TableTests: XCTestCase {
    private func tempPath(_ ext: String) -> String {
        let path = NSTemporaryDirectory() + "table-\(UUID().uuidString).\(ext)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Rows that exercise every awkward case: unicode, separators in strings, error rows with nulls,
    /// a row with some null scores, negative logits and extreme idx.
    private func sampleRows() -> [ScoreRow] {
        var rows: [ScoreRow] = []
        for i in 0..<10 {
            let scores: [Float?] = (0..<14).map { c in Float((i * 7 + c * 3) % 50) / 10 + 0.0625 }
            let logits: [Float?] = (0..<9).map { s in Float(s - 4) * 1.25 + Float(i) / 8 }
            rows.append(ScoreRow(
                idx: Int64(i * 10), id: "id-\(i)", image: "src\(i % 3)/img \(i).jpg", imageSource: "src\(i % 3)",
                scores: scores, styleLogits: logits, styles: i % 2 == 0 ? "multi-choice, yes/no" : "short description"))
        }
        rows.append(.failed(idx: 100, id: "bad, \"quoted\"\nline", image: "中文/图像.jpg", imageSource: "中文", error: "truncated JPEG, 3 bytes"))
        var partial = ScoreRow(idx: Int64.max, id: "ü😀", styles: "chain-of-thought (step-by-step)")
        partial.scores[0] = 5
        partial.scores[13] = 0
        partial.styleLogits[8] = -3.5e-7
        rows.append(partial)
        rows.append(ScoreRow(idx: -1, id: "", image: "", imageSource: "", scores: Array(repeating: 1, count: 14), styleLogits: Array(repeating: 0, count: 9)))
        return rows
    }

    func testRoundTripEveryFormat() throws {
        for ext in ["parquet", "csv", "jsonl"] {
            let path = tempPath(ext)
            try ScoreTable.write(sampleRows(), to: path)
            XCTAssertEqual(try ScoreTable.readAll(path: path), sampleRows(), ext)
        }
    }

    func testEmptyTableEveryFormat() throws {
        for ext in ["parquet", "csv", "jsonl"] {
            let path = tempPath(ext)
            try ScoreTable.write([], to: path)
            XCTAssertEqual(try ScoreTable.readAll(path: path), [], ext)
        }
    }

    func testParquetManyRowGroups() throws {
        let path = tempPath("parquet")
        let writer = try ParquetTableWriter(path: path, rowGroupSize: 4)
        let rows = (0..<3).flatMap { _ in sampleRows() }
        for r in rows { try writer.write(r) }
        try writer.finish()
        XCTAssertEqual(try ScoreTable.readAll(path: path), rows)
        let checked = try python(["read", path])
        XCTAssertEqual(checked["num_row_groups"] as? Int, (rows.count + 3) / 4)
    }

    func testUnknownExtensionAndMissingFile() {
        XCTAssertThrowsError(try ScoreTable.writer(path: "/tmp/x.xlsx")) {
            XCTAssertEqual($0 as? TableError, .unsupportedExtension(path: "/tmp/x.xlsx"))
        }
        XCTAssertThrowsError(try ScoreTable.reader(path: "/nonexistent/t.parquet")) {
            XCTAssertEqual(($0 as? TableError)?.description, "/nonexistent/t.parquet: cannot open: No such file or directory")
        }
    }

    func testMalformedCSVNamesTheLine() throws {
        let path = tempPath("csv")
        try Data("idx,status,spatial\n1,ok,2.5\n2,ok,high\n".utf8).write(to: URL(fileURLWithPath: path))
        let reader = try ScoreTable.reader(path: path)
        XCTAssertEqual(try reader.next()?.scores[0], 2.5)
        XCTAssertThrowsError(try reader.next()) {
            XCTAssertEqual(($0 as? TableError)?.description, "\(path), line 3: spatial is not a number")
        }
    }

    // MARK: independent readers

    /// Runs tools/check_parquet.py; CI installs pyarrow and duckdb, so their absence fails with the reason.
    private func python(_ args: [String]) throws -> [String: Any] {
        let tool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("tools/check_parquet.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", tool] + args
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            XCTFail("tools/check_parquet.py failed (needs python3 with pyarrow and duckdb): \(errText)")
            return [:]
        }
        if data.isEmpty { return [:] }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func testPyarrowAndDuckdbReadOurParquet() throws {
        let path = tempPath("parquet")
        let rows = sampleRows()
        try ScoreTable.write(rows, to: path)
        let checked = try python(["read", path])
        let schema = try XCTUnwrap(checked["schema"] as? [String: String])
        XCTAssertEqual(schema["idx"], "int64 not null")
        XCTAssertEqual(schema["id"], "string not null")
        XCTAssertEqual(schema["spatial"], "float")
        XCTAssertEqual(schema["style_cot"], "float")
        XCTAssertEqual(schema["styles"], "string not null")
        XCTAssertEqual(schema.count, ScoreColumns.all.count)
        let read = try XCTUnwrap(checked["rows"] as? [[String: Any]])
        XCTAssertEqual(read.count, rows.count)
        for (r, expected) in zip(read, rows) {
            XCTAssertEqual((r["idx"] as? NSNumber)?.int64Value, expected.idx)
            XCTAssertEqual(r["id"] as? String, expected.id)
            XCTAssertEqual(r["image"] as? String, expected.image)
            XCTAssertEqual(r["image_source"] as? String, expected.imageSource)
            XCTAssertEqual(r["status"] as? String, expected.status.rawValue)
            XCTAssertEqual(r["error"] as? String, expected.error)
            XCTAssertEqual(r["styles"] as? String, expected.styles)
            for (k, v) in zip(Capabilities.keys + Styles.keys, expected.scores + expected.styleLogits) {
                if let v {
                    XCTAssertEqual((r[k] as? NSNumber)?.floatValue, v, "\(k) of idx \(expected.idx)")
                } else {
                    XCTAssertTrue(r[k] is NSNull, "\(k) of idx \(expected.idx) should be null")
                }
            }
        }
    }

    func testWeReadPyarrowParquetPlainDictionaryAndV2() throws {
        let jsonl = tempPath("jsonl")
        try ScoreTable.write(sampleRows(), to: jsonl)
        for flags in [[], ["--dictionary"], ["--v2"], ["--dictionary", "--v2"]] {
            let path = tempPath("parquet")
            _ = try python(["write", jsonl, path] + flags)
            XCTAssertEqual(try ScoreTable.readAll(path: path), sampleRows(), "\(flags)")
        }
    }

    // MARK: official folder

    func testOfficialFolderRoundTrip() throws {
        let dir = NSTemporaryDirectory() + "mmssr-folder-\(UUID().uuidString)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let writer = try MMSSRFolderWriter(directory: dir)
        let rows = sampleRows()
        for r in rows.reversed() { try writer.write(r) }
        try writer.finish()
        let text = try String(contentsOfFile: dir + "/spatial.jsonl", encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("{\"idx\": -1, \"pred_response\": \"1\"}\n"), text)
        let read = try readFolder(dir)
        let expected = rows.filter { $0.status == .ok }.sorted { $0.idx < $1.idx }
        XCTAssertEqual(read.map(\.idx), expected.map(\.idx))
        for (r, e) in zip(read, expected) {
            XCTAssertEqual(r.scores, e.scores.map { $0.map { Float(Int($0.rounded()).clamped(0, 5)) } })
            XCTAssertEqual(r.styles, e.styles)
            XCTAssertEqual(r.status, .ok)
        }
    }

    func testOfficialFolderToleratesTeacherText() throws {
        let dir = NSTemporaryDirectory() + "mmssr-folder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try Data("{\"idx\": 7, \"pred_response\": \"Score: 4\"}\n{\"idx\": 3, \"pred_response\": \"2\"}\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/ocr.jsonl"))
        try Data("{\"idx\": 3, \"pred_response\": \"yes/no,multi-choice\"}\n".utf8).write(to: URL(fileURLWithPath: dir + "/style.jsonl"))
        let rows = try readFolder(dir)
        XCTAssertEqual(rows.map(\.idx), [3, 7])
        XCTAssertEqual(rows[0].scores[13], 2)
        XCTAssertEqual(rows[1].scores[13], 4)
        XCTAssertNil(rows[0].scores[0])
        XCTAssertEqual(rows[0].styles, "yes/no, multi-choice")
        XCTAssertEqual(rows[1].styles, "")

        try Data("{\"idx\": 1, \"pred_response\": \"none\"}\n".utf8).write(to: URL(fileURLWithPath: dir + "/ocr.jsonl"))
        XCTAssertThrowsError(try readFolder(dir)) {
            XCTAssertEqual(($0 as? TableError)?.description, "\(dir)/ocr.jsonl, line 1: pred_response \"none\" holds no score")
        }
    }

    private func readFolder(_ dir: String) throws -> [ScoreRow] {
        let reader = try MMSSRFolderReader(directory: dir)
        var rows: [ScoreRow] = []
        while let r = try reader.next() { rows.append(r) }
        return rows
    }

    /// A BOM before the header (spreadsheet exports) and blank lines anywhere (LF or CRLF, a trailing one,
    /// several) are accepted; a blank line inside a quoted field stays part of the field.
    func testCSVWithBOMAndBlankLines() throws {
        let path = tempPath("csv")
        let text = "\u{FEFF}idx,status,spatial,id\r\n\r\n1,ok,2.5,a\r\n\n\n2,ok,3,\"x\n\ny\"\n\r\n3,error,,\"\"\n\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let rows = try ScoreTable.readAll(path: path)
        XCTAssertEqual(rows.map(\.idx), [1, 2, 3])
        XCTAssertEqual(rows.map(\.id), ["a", "x\n\ny", ""])
        XCTAssertEqual(rows.map { $0.scores[0] }, [2.5, 3, nil])
        XCTAssertEqual(rows[2].status, .error)
        // Lines are still counted as in the file.
        try Data("idx,status\n\n\n1,ok\n\n2,maybe\n".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try ScoreTable.readAll(path: path)) {
            XCTAssertEqual(($0 as? TableError)?.description, "\(path), line 6: status must be ok or error")
        }
    }

}
