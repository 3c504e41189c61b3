import Glibc

/// Reads teacher labels from any of the layouts a teacher run produces:
/// - a folder in the official mmSSR layout (`{capability}.jsonl`, `style.jsonl`, `pred_response` text);
/// - a score table (`.parquet`, `.csv`, `.jsonl`): capability columns and `styles`; error rows are skipped;
/// - a plain CSV or JSONL with `idx`, any capability columns and optionally `styles` (no `status` needed).
/// Bad cells and lines are counted in `TeacherLabels.problems`; only an unreadable source is fatal.
public enum LabelReader {
    public static func read(path: String) throws(FitError) -> TeacherLabels {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .labels(path: path, reason: "no such file or folder") }
        var labels = TeacherLabels()
        do throws(TableError) {
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try readFolder(path, into: &labels)
            } else {
                switch try ScoreTable.Format(path: path) {
                case .parquet: try readTable(path, into: &labels)
                case .csv: try readCSV(path, into: &labels)
                case .jsonl: try readJSONL(path, into: &labels)
                }
            }
        } catch {
            throw .labels(path: path, reason: error.description)
        }
        guard labels.count > 0 else { throw .labels(path: path, reason: "no labelled items found") }
        return labels
    }

    private static func readFolder(_ dir: String, into labels: inout TeacherLabels) throws(TableError) {
        var found = false
        for (c, key) in Capabilities.keys.enumerated() {
            let path = dir + "/\(key).jsonl"
            guard access(path, F_OK) == 0 else { continue }
            found = true
            try officialLines(path, &labels) { labels, idx, text in labels.setScore(c, idx: idx, text: text) }
        }
        let stylePath = dir + "/style.jsonl"
        if access(stylePath, F_OK) == 0 {
            found = true
            try officialLines(stylePath, &labels) { labels, idx, text in labels.setStyles(idx: idx, cell: text) }
        }
        guard found else { throw .io(path: dir, reason: "no {capability}.jsonl or style.jsonl files (not an mmSSR output folder)") }
    }

    private static func officialLines(
        _ path: String, _ labels: inout TeacherLabels, _ apply: (inout TeacherLabels, Int64, String) -> Void
    ) throws(TableError) {
        let lines = try LineReader(path: path)
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard let value = try? JSONParser.parseDocument(Array(line)), let idx = value["idx"]?.integerValue else {
                labels.problems.unreadableRows += 1
                continue
            }
            guard let text = value["pred_response"]?.stringValue else {
                labels.problems.unparsableScores += 1
                continue
            }
            apply(&labels, idx, text)
        }
    }

    /// A Parquet score table: typed columns, so only error rows and nulls can be unusable.
    private static func readTable(_ path: String, into labels: inout TeacherLabels) throws(TableError) {
        let reader = try ScoreTable.reader(path: path, columns: Set(["idx", "status", "styles"] + Capabilities.keys))
        while let row = try reader.next() {
            guard row.status == .ok else { labels.problems.errorRows += 1; continue }
            for (c, score) in row.scores.enumerated() {
                if let score { labels.setScore(c, idx: row.idx, text: score.description) }
            }
            labels.setStyles(idx: row.idx, cell: row.styles)
        }
    }

    /// One row given as (column name, cell text or nil for null).
    private static func apply(_ cells: [(String, String?)], into labels: inout TeacherLabels) {
        guard let idxText = cells.first(where: { $0.0 == "idx" })?.1, let idx = Int64(idxText) else {
            labels.problems.unreadableRows += 1
            return
        }
        if let status = cells.first(where: { $0.0 == "status" })?.1, status == "error" {
            labels.problems.errorRows += 1
            return
        }
        for (name, text) in cells {
            if let c = RowAssembler.capabilityIndex[name] {
                labels.setScore(c, idx: idx, text: text)
            } else if name == "styles", let text {
                labels.setStyles(idx: idx, cell: text)
            }
        }
    }

    private static func readJSONL(_ path: String, into labels: inout TeacherLabels) throws(TableError) {
        let lines = try LineReader(path: path)
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard case let .object(fields)? = try? JSONParser.parseDocument(Array(line)) else {
                labels.problems.unreadableRows += 1
                continue
            }
            apply(fields.map { name, value in
                switch value {
                case .null: return (name, nil)
                case let .string(s): return (name, s)
                case let .number(d, integer): return (name, integer.map(String.init) ?? String(d))
                default: return (name, "?")
                }
            }, into: &labels)
        }
    }

    private static func readCSV(_ path: String, into labels: inout TeacherLabels) throws(TableError) {
        let records = try CSVRecords(path: path)
        guard let header = try records.next() else { throw .malformed(path: path, location: "line 1", reason: "empty file, no header") }
        let names = header.map { $0 ?? "" }
        guard names.contains("idx") else { throw .missingColumn(path: path, column: "idx") }
        while let cells = try records.next() {
            guard cells.count == names.count else { labels.problems.unreadableRows += 1; continue }
            apply(Array(zip(names, cells)), into: &labels)
        }
    }
}
