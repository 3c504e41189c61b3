/// Streams score rows out to a file.
public protocol ScoreTableWriter: AnyObject {
    func write(_ row: ScoreRow) throws(TableError)
    /// Completes the file (footer, flush); the file is not valid before.
    func finish() throws(TableError)
}

/// Streams score rows in from a file, in file order.
public protocol ScoreTableReader: AnyObject {
    func next() throws(TableError) -> ScoreRow?
}

/// The score-table formats, chosen by file extension (SPEC §3).
public enum ScoreTable {
    public enum Format: String, Sendable, CaseIterable {
        case parquet, csv, jsonl

        public init(path: String) throws(TableError) {
            let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
            guard path.contains("."), let f = Format(rawValue: ext == "pq" ? "parquet" : ext) else {
                throw .unsupportedExtension(path: path)
            }
            self = f
        }
    }

    public static func writer(path: String) throws(TableError) -> any ScoreTableWriter {
        switch try Format(path: path) {
        case .parquet: return try ParquetTableWriter(path: path)
        case .csv: return try CSVTableWriter(path: path)
        case .jsonl: return try JSONLTableWriter(path: path)
        }
    }

    /// `columns` limits what a Parquet file decodes (others read as defaults); text formats read everything.
    public static func reader(path: String, columns: Set<String>? = nil) throws(TableError) -> any ScoreTableReader {
        switch try Format(path: path) {
        case .parquet: return try ParquetTableReader(path: path, columns: columns)
        case .csv: return try CSVTableReader(path: path)
        case .jsonl: return try JSONLTableReader(path: path)
        }
    }

    /// Whole table in memory; for tests and small tables. `select` streams instead.
    public static func readAll(path: String) throws(TableError) -> [ScoreRow] {
        let reader = try reader(path: path)
        var rows: [ScoreRow] = []
        while let row = try reader.next() { rows.append(row) }
        return rows
    }

    public static func write(_ rows: [ScoreRow], to path: String) throws(TableError) {
        let writer = try writer(path: path)
        for row in rows { try writer.write(row) }
        try writer.finish()
    }
}

/// Shortest text that reads back as the same Float; non-finite values have no JSON/CSV spelling and are nulls.
func formatFloat(_ v: Float) -> String? {
    v.isFinite ? v.description : nil
}

/// Maps a file's header names to row fields, shared by the CSV and JSONL readers.
struct RowAssembler {
    var row = ScoreRow(idx: 0)
    var sawIdx = false
    var sawStatus = false

    static let capabilityIndex = Dictionary(uniqueKeysWithValues: Capabilities.keys.enumerated().map { ($1, $0) })
    static let styleIndex = Dictionary(uniqueKeysWithValues: Styles.keys.enumerated().map { ($1, $0) })

    enum Field { case idx, id, image, imageSource, status, error, styles, capability(Int), style(Int), unknown }

    static func field(_ name: String) -> Field {
        switch name {
        case "idx": return .idx
        case "id": return .id
        case "image": return .image
        case "image_source": return .imageSource
        case "status": return .status
        case "error": return .error
        case "styles": return .styles
        default:
            if let c = capabilityIndex[name] { return .capability(c) }
            if let s = styleIndex[name] { return .style(s) }
            return .unknown
        }
    }

    /// Applies one JSON cell through its text form: numbers as written (integers exactly), other values as "?",
    /// which every typed field refuses.
    mutating func set(_ field: Field, json value: JSONValue) -> String? {
        let text: String?
        switch value {
        case .null: text = nil
        case let .string(s): text = s
        case let .number(d, integer): text = integer.map(String.init) ?? String(d)
        default: text = "?"
        }
        return set(field, text: text)
    }

    /// Applies one cell given as text (CSV) or already typed (JSONL, via the text form of numbers).
    mutating func set(_ field: Field, text: String?) -> String? {
        switch field {
        case .idx:
            guard let text, let v = Int64(text) else { return "idx is not an integer" }
            row.idx = v
            sawIdx = true
        case .id: row.id = text ?? ""
        case .image: row.image = text ?? ""
        case .imageSource: row.imageSource = text ?? ""
        case .status:
            guard let s = ScoreRow.Status(rawValue: text ?? "") else { return "status must be ok or error" }
            row.status = s
            sawStatus = true
        case .error: row.error = text ?? ""
        case .styles: row.styles = text ?? ""
        case let .capability(c):
            guard let f = Self.float(text) else { return "\(Capabilities.keys[c]) is not a number" }
            row.scores[c] = f
        case let .style(s):
            guard let f = Self.float(text) else { return "\(Styles.keys[s]) is not a number" }
            row.styleLogits[s] = f
        case .unknown: break
        }
        return nil
    }

    /// nil text is a null cell; returns nil only for text that is not a number.
    private static func float(_ text: String?) -> Float?? {
        guard let text, !text.isEmpty else { return .some(nil) }
        guard let v = Float(text) else { return nil }
        return .some(v)
    }

    mutating func finish() -> (ScoreRow, String?) {
        defer { self = RowAssembler() }
        if !sawIdx { return (row, "missing idx") }
        if !sawStatus { return (row, "missing status") }
        return (row, nil)
    }
}
