import Foundation
import XCTest
import CText
@testable import Scorer

/// The byte-level column readers (what `select` reads) against the row readers (the text path), on files full of
/// the cases the byte path hands over, cut into any number of pieces; and their numbers against Swift's own parsers.
final class TableColumnsTests: XCTestCase {
    private func tempPath(_ ext: String) -> String {
        let path = NSTemporaryDirectory() + "columns-\(UUID().uuidString).\(ext)"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// Every spelling the byte path reads must give what `Float(String)` / `Int64(String)` give, and the byte
    /// path must decline (nil) rather than differ. Halfway cases (16777217 lies between two Floats) included.
    func testDecimalBytesAgreeWithSwiftParsers() {
        var rng = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "16777217", "16777219", "0.1", "3.5099999", "1e30", "1e-30", "2.5e+3", "7E2", "01", "1.",
                     ".5", "+1", "-", "", "1e", "nan", "inf", "123456789012345678901", "9007199254740993", "1.0000000596046448"]
        for _ in 0..<20000 {
            let f = Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            guard f.isFinite else { continue }
            texts.append(f.description)
            texts.append(String(format: "%.\(Int.random(in: 1...12, using: &rng))g", Double(f)))
            let digits = UInt64.random(in: 0..<10_000_000_000, using: &rng)
            texts.append("\(digits)e\(Int.random(in: -30...30, using: &rng))")
            // Short decimals (what score tables hold) take the reciprocal product in C.
            let whole = Int.random(in: 0..<1000, using: &rng), fraction = UInt64.random(in: 0..<10_000_000, using: &rng)
            texts.append("\(whole).\(String(fraction).dropFirst(Int.random(in: 0..<7, using: &rng)))")
        }
        for text in texts {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { DecimalBytes.float($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            if let fast { XCTAssertEqual(fast.bitPattern, Float(text)?.bitPattern, text) }
            let int = bytes.withUnsafeBufferPointer { DecimalBytes.int64($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, $0.count) }
            if let int { XCTAssertEqual(int, Int64(text), text) }
        }
        XCTAssertNil(Array("16777217".utf8).withUnsafeBufferPointer { DecimalBytes.float($0.baseAddress!, $0.count) })
        // The readers' one-pass form: the number at the start of the bytes.
        for text in texts + ["3.51", "-0.67", "1", "-0", "0.5", "-4.98", "1.2.3", "--1", "1-2", "1e5", "+1", "9999999"] {
            let bytes = Array(text.utf8) + Array(",\n\r\"x123456".utf8)
            bytes.withUnsafeBufferPointer {
                let p = $0.baseAddress!, count = text.utf8.count
                let whole = DecimalBytes.float(p, count)
                if let (v, length) = DecimalBytes.floatPrefix(p, count + 1), length == count {
                    XCTAssertEqual(v.bitPattern, whole?.bitPattern, text)
                } else {
                    XCTAssertNil(whole, text)
                }
                XCTAssertEqual(DecimalBytes.floatPrefixLength(p, count + 1) == count, DecimalBytes.isFloat(p, count), text)
            }
        }
        XCTAssertEqual(Array("3.51".utf8).withUnsafeBufferPointer { DecimalBytes.float($0.baseAddress!, $0.count) }, 3.51)
    }

    /// The C cell-end scans (16 bytes at a time on x86-64) against their byte-loop twins, at every start and end.
    func testCellEndScansMatchByteLoops() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x2C, 0x0A, 0x0D, 0x22, 0x61, 0x30, 0x2E, 0x80, 0xFF, 0x00]
        for _ in 0..<200 {
            let bytes = (0..<70).map { _ in Int.random(in: 0..<12, using: &rng) == 0 ? alphabet.randomElement(using: &rng)! : 0x61 }
            bytes.withUnsafeBufferPointer { b in
                let p = b.baseAddress!
                for start in 0...b.count {
                    for end in start...b.count {
                        XCTAssertEqual(mmssr_quoted_cell_end(p, Int64(start), Int64(end)), mmssr_quoted_cell_end_scalar(p, Int64(start), Int64(end)))
                        XCTAssertEqual(mmssr_plain_cell_end(p, Int64(start), Int64(end)), mmssr_plain_cell_end_scalar(p, Int64(start), Int64(end)))
                    }
                }
            }
        }
    }

    /// The word-at-a-time scans against their byte-at-a-time definitions, at every start and length.
    func testByteScansMatchByteLoops() {
        var rng = SystemRandomNumberGenerator()
        let alphabet: [UInt8] = [0x2C, 0x0A, 0x0D, 0x22, 0x5C, 0x1F, 0x20, 0x7F, 0x80, 0xFF, 0x61, 0x30, 0x2E]
        for _ in 0..<300 {
            let bytes = (0..<40).map { _ in Bool.random(using: &rng) ? 0x61 : alphabet.randomElement(using: &rng)! }
            let other = bytes.map { Int.random(in: 0..<60, using: &rng) == 0 ? $0 ^ 1 : $0 }
            bytes.withUnsafeBufferPointer { b in other.withUnsafeBufferPointer { o in
                let p = b.baseAddress!
                for from in 0...bytes.count {
                    for end in from...bytes.count {
                        let plain = (from..<end).first { bytes[$0] == 0x22 || bytes[$0] == 0x5C || bytes[$0] < 0x20 || bytes[$0] >= 0x80 } ?? end
                        XCTAssertEqual(ByteScan.firstNotPlain(p, from: from, end: end), plain)
                        let n = end - from
                        XCTAssertEqual(ByteScan.equal(p + from, o.baseAddress! + from, n), bytes[from..<end] == other[from..<end])
                    }
                }
            }}
        }
    }

    func testCSVColumnsMatchRowsInAnyNumberOfPieces() throws {
        let path = tempPath("csv")
        try ScoreTable.write(awkwardRows(), to: path)
        // Lines the writer never makes: blank ones, CRLF, odd number spellings, a cell quoted for no reason.
        var text = try String(contentsOfFile: path, encoding: .utf8)
        let odd = ["900", "\"x\"", "\"\"", "\"s\"", "\"ok\"", "", "+1.5", "1e30", ".5", "5.", "nan", "\"2\"", "-0", "0.30000001",
                   "16777217", "1e-50", "", "", "", "", "1e3"] + Array(repeating: "", count: 8) + ["\"yes/no\""]
        let error = ["901", "", "", "", "error"] + Array(repeating: "", count: 25)
        // Around the record reader's loop-free form of score cells (-?d.d, -?d.dd, then a byte ending the number).
        let near = ["902", "s", "i", "src", "ok", "", "1.5", "-1.55", "1.555", "1.5e3", "2.25E-1", "-0.5", "0.05", "9.99", "-9.9",
                    "1.5e+1", "12.5", "1.50", "0.0", "-0.00", "1.5", "-1.55", "1.555", "3.21", "-4.88", "0.1", "7.5e-1", "-2.0", "4.62",
                    "\"a, b\""]
        text += "\r\n\n" + odd.joined(separator: ",") + "\r\n" + error.joined(separator: ",") + "\n" + near.joined(separator: ",") + "\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try assertColumnsMatchRows(path) { try CSVTableReader(path: path).columns(pieces: $0, minimumPiece: 1) }
    }

    /// `ScoreStore.load` keeps the first batch's columns and appends the others into them: the first piece must
    /// have room for the whole table, or the store copies every row again.
    func testFirstPieceHasRoomForTheWholeTable() throws {
        let csv = tempPath("csv"), jsonl = tempPath("jsonl")
        var csvText = ScoreColumns.all.joined(separator: ",") + "\n", jsonlText = ""
        let rows = 900
        for k in 0..<rows {
            let scores = Capabilities.keys.indices.map { String(format: "%.2f", Double((k * 7 + $0 * 3) % 500) / 100) }
            csvText += "\(k),s\(k),img/\(k).jpg,src\(k % 5),ok,," + scores.joined(separator: ",") + "," + Array(repeating: "0.25", count: Styles.names.count).joined(separator: ",") + ",yes/no\n"
            jsonlText += "{\"idx\":\(k),\"status\":\"ok\",\"image_source\":\"src\(k % 5)\"," + zip(Capabilities.keys, scores).map { "\"\($0)\":\($1)" }.joined(separator: ",") + ",\"styles\":\"yes/no\"}\n"
        }
        try Data(csvText.utf8).write(to: URL(fileURLWithPath: csv))
        try Data(jsonlText.utf8).write(to: URL(fileURLWithPath: jsonl))
        for (name, batches) in [("csv", try CSVTableReader(path: csv).columns(pieces: 3, minimumPiece: 1)),
                                ("jsonl", try JSONLTableReader(path: jsonl).columns(pieces: 3, minimumPiece: 1))] {
            XCTAssertEqual(batches.count, 3, name)
            XCTAssertEqual(batches.reduce(0) { $0 + $1.count }, rows, name)
            let first = batches[0]
            XCTAssertGreaterThanOrEqual(first.idx.capacity, rows, name)
            XCTAssertGreaterThanOrEqual(first.ok.capacity, rows, name)
            for c in first.scores.indices { XCTAssertGreaterThanOrEqual(first.scores[c].capacity, rows, "\(name) capability \(c)") }
            // The other pieces are sized for themselves only.
            XCTAssertLessThan(batches[1].idx.capacity, rows, name)
        }
    }

    func testJSONLColumnsMatchRowsInAnyNumberOfPieces() throws {
        let path = tempPath("jsonl")
        try ScoreTable.write(awkwardRows(), to: path)
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text += "\n  \t\n{ \"status\" : \"ok\", \"idx\" : 900, \"spatial\": 1E2, \"ocr\": \"2\", \"extra\": [1, {\"a\": null}] }\r\n"
        text += "{\"idx\":901,\"status\":\"ok\",\"scene\":0.30000001,\"data\":16777217,\"styles\":\"yes\\/no\",\"image_source\":null}\n"
        text += "{\"idx\":902,\"idx\":903,\"status\":\"error\",\"status\":\"ok\",\"stem\":-0,\"stem\":null,\"causal\":1e-50}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try assertColumnsMatchRows(path) { try JSONLTableReader(path: path).columns(pieces: $0, minimumPiece: 1) }
    }

    /// Parquet row groups as batches, as the rows give them: groups of any size, and after rows read by `next()`.
    func testParquetBatchesMatchRows() throws {
        for groupSize in [1, 7, 1000] {
            let path = tempPath("parquet")
            let writer = try ParquetTableWriter(path: path, rowGroupSize: groupSize)
            for row in awkwardRows() + awkwardRows().prefix(40) { try writer.write(row) }
            try writer.finish()
            let columns = Set(["idx", "status", "image_source", "styles"] + Capabilities.keys)
            func batches(after rows: Int) throws -> [ScoreBatch] {
                let reader = try ParquetTableReader(path: path, columns: columns)
                for _ in 0..<rows { _ = try reader.next() }
                var out: [ScoreBatch] = []
                while let batch = try reader.nextBatch() { out.append(batch) }
                return out
            }
            try assertColumnsMatchRows(path) { _ in try batches(after: 0) }
            var expected = ScoreBatch()
            for row in try ScoreTable.readAll(path: path).dropFirst(3) { expected.append(row) }
            XCTAssertEqual(flatten(try batches(after: 3)), flatten([expected]), "group size \(groupSize)")
        }
    }

    /// An error in any piece is reported as a serial read reports it: the first one in the file, its line.
    func testAnErrorInALaterPieceNamesItsLine() throws {
        let csv = tempPath("csv")
        var text = "idx,status,spatial\n"
        for i in 0..<200 { text += "\(i),ok,\(Float(i) / 8)\n" }
        text += "200,ok,high\n201,ok,\"open\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: csv))
        for pieces in [1, 2, 5] {
            XCTAssertThrowsError(try CSVTableReader(path: csv).columns(pieces: pieces, minimumPiece: 1)) {
                XCTAssertEqual(($0 as? TableError)?.description, "\(csv), line 202: spatial is not a number", "\(pieces)")
            }
        }
        let jsonl = tempPath("jsonl")
        text = (0..<200).map { "{\"idx\":\($0),\"status\":\"ok\"}\n" }.joined() + "{\"idx\":200,\"status\":\"ok\",}\n"
        try Data(text.utf8).write(to: URL(fileURLWithPath: jsonl))
        XCTAssertThrowsError(try JSONLTableReader(path: jsonl).columns(pieces: 4, minimumPiece: 1)) {
            XCTAssertEqual(($0 as? TableError)?.description, "\(jsonl), line 201: bad JSON at column 26: expected a string key")
        }
    }

    /// Files listing the samples in different orders, with gaps, repeats (the last line wins) and lines the byte
    /// path hands over, read as the text path would: one row per idx met, by idx.
    func testOfficialFolderInAnyOrder() throws {
        let dir = NSTemporaryDirectory() + "columns-folder-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ lines: [String]) throws {
            try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: dir + "/\(name).jsonl"))
        }
        try write("spatial", (0..<50).map { "{\"idx\": \($0 * 2), \"pred_response\": \"\($0 % 6)\"}" })
        try write("ocr", (0..<50).reversed().map { "{\"pred_response\": \"Score: \($0 % 5)\", \"idx\": \($0 * 3)}" } + ["", "{\"idx\": 3, \"pred_response\": \"5\"}"])
        try write("style", (0..<40).map { "{\"idx\": \($0 * 2 + 1), \"pred_response\": \"\($0 % 2 == 0 ? "yes/no,multi-choice" : "yes\\/no, multi-choice")\"}" })
        let rows = try drain(MMSSRFolderReader(directory: dir))
        let evens: [Int64] = (0..<50).map { Int64($0 * 2) }
        let threes: [Int64] = (0..<50).map { Int64($0 * 3) }
        let odds: [Int64] = (0..<40).map { Int64($0 * 2 + 1) }
        let idx = Set(evens + threes + odds).sorted()
        XCTAssertEqual(rows.map(\.idx), idx)
        for row in rows {
            let i = Int(row.idx)
            XCTAssertEqual(row.scores[0], i % 2 == 0 && i < 100 ? Float(i / 2 % 6) : nil, "\(i)")
            XCTAssertEqual(row.scores[13], i == 3 ? 5 : i % 3 == 0 ? Float(i / 3 % 5) : nil, "\(i)")
            XCTAssertEqual(row.styles, i % 2 == 1 && i < 80 ? "yes/no, multi-choice" : "", "\(i)")
        }
    }

    /// Lines in or near the exact form the official code writes (read without looking for the line's end first)
    /// give what the same line with a trailing space gives (the member-by-member and JSON paths): values, errors.
    func testOfficialLinesNearTheExactForm() throws {
        let dir = NSTemporaryDirectory() + "columns-exact-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        let lines = [
            #"{"idx": 0, "pred_response": "3"}"#, #"{"idx": 7, "pred_response": "Score: 4"}"#, #"{"idx": 07, "pred_response": "1"}"#,
            #"{"idx": -2, "pred_response": "1"}"#, #"{"idx": 123456789012345678, "pred_response": "2"}"#,
            #"{"idx": 1234567890123456789, "pred_response": "2"}"#, #"{"idx": 5, "pred_response": "yes/no, multi-choice"}"#,
            #"{"idx": 5, "pred_response": "a\"b"}"#, #"{"idx": 5, "pred_response": "é"}"#, #"{"idx": 5, "pred_response": ""}"#,
            #"{"idx": 5, "pred_response": "2"} "#, #"{"idx": 5, "pred_response": "2"}x"#, #"{"idx": 5, "pred_response": "2"]"#,
            #"{"idx": 5.0, "pred_response": "2"}"#, #"{"idx": 5, "pred_response": 2}"#,
        ]
        func read(_ file: String, _ text: String) -> String {
            try? FileManager.default.removeItem(atPath: dir + "/spatial.jsonl")
            try? FileManager.default.removeItem(atPath: dir + "/style.jsonl")
            try? Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/\(file).jsonl"))
            do {
                return try drain(MMSSRFolderReader(directory: dir)).map { "\($0.idx) \(String(describing: $0.scores[0])) \($0.styles)" }.joined(separator: ";")
            } catch {
                return "\(error)"
            }
        }
        for line in lines {
            // A trailing space keeps every column where it was, for the error messages.
            let spaced = line + " "
            for file in ["spatial", "style"] {
                for end in ["", "\n", "\r\n", "\n\n" + line] {
                    XCTAssertEqual(read(file, line + end), read(file, spaced + end.replacingOccurrences(of: line, with: spaced)), "\(file): \(line + end)")
                }
            }
        }
    }

    private func drain(_ reader: any ScoreTableReader) throws -> [ScoreRow] {
        var rows: [ScoreRow] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    /// The writers' rows at their most awkward: quotes, commas and line breaks in cells (one over many lines),
    /// non-ASCII, error rows, nulls, floats of every size, repeated and extreme idx.
    private func awkwardRows() -> [ScoreRow] {
        var rng = SplitMix(seed: 7)
        var rows: [ScoreRow] = []
        for i in 0..<400 {
            if i % 37 == 5 {
                rows.append(.failed(idx: Int64(i), id: "e\(i)", image: "a, \"b\".jpg", imageSource: "src, \"q\"", error: "bad\nJPEG ✓"))
                continue
            }
            var scores: [Float?] = (0..<14).map { _ in Float(rng.next() % 501) / 100 }
            if i % 11 == 0 { scores[3] = nil; scores[7] = Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()) & 0x7F7F_FFFF) }
            let logits: [Float?] = (0..<9).map { _ in Float(Int(rng.next() % 2001) - 1000) / 7 }
            let id = i == 200 ? (0..<40).map { "line \($0), \"q\"" }.joined(separator: "\n") : "id-\(i)\(i % 13 == 0 ? " ü" : "")"
            let source = ["coco", "ocr_vqa", "中文", "a,b", ""][i % 5]
            let styles = ["multi-choice, yes/no", "short description", "", "chain-of-thought (step-by-step)", "odd \"style\""][i % 5]
            rows.append(ScoreRow(idx: i == 399 ? Int64.max : Int64(i % 250), id: id, image: "\(source)/\(i).jpg", imageSource: source,
                                 scores: scores, styleLogits: logits, styles: styles))
        }
        return rows
    }

    private func assertColumnsMatchRows(_ path: String, _ columns: (Int) throws -> [ScoreBatch], line: UInt = #line) throws {
        var expected = ScoreBatch()
        for row in try ScoreTable.readAll(path: path) { expected.append(row) }
        let want = flatten([expected])
        XCTAssertGreaterThan(want.count, 400, line: line)
        for pieces in [1, 2, 3, 7, 50] {
            let got = flatten(try columns(pieces))
            XCTAssertEqual(got.count, want.count, "\(pieces) pieces", line: line)
            for (k, (g, w)) in zip(got, want).enumerated() where g != w {
                XCTFail("\(pieces) pieces, row \(k): \(g) != \(w)", line: line)
                break
            }
        }
    }

    private struct Flat: Equatable, CustomStringConvertible {
        var idx: Int64, ok: Bool, source: String, scores: [UInt32], styles: String
        var description: String { "\(idx) \(ok) \(source) \(scores.map { Float(bitPattern: $0) }) \(styles)" }
    }

    private func flatten(_ batches: [ScoreBatch]) -> [Flat] {
        batches.flatMap { b in
            (0..<b.count).map { r in
                Flat(idx: b.idx[r], ok: b.ok[r], source: b.sourceNames[Int(b.source[r])],
                     scores: b.scores.map { $0[r].isNaN ? 0x7FC0_0000 : $0[r].bitPattern }, styles: b.styleCells[Int(b.styles[r])])
            }
        }
    }
}

/// SplitMix64, so the rows are the same on every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
