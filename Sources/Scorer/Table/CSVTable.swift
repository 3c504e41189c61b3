/// RFC 4180 CSV: header row of `ScoreColumns.all`, fields quoted when they hold a comma, quote or line
/// break, null floats as empty fields.
public final class CSVTableWriter: ScoreTableWriter {
    private let sink: ByteSink

    public init(path: String) throws(TableError) {
        sink = try ByteSink(path: path)
        try sink.write(ScoreColumns.all.joined(separator: ",") + "\n")
    }

    public func write(_ row: ScoreRow) throws(TableError) {
        var fields: [String] = [String(row.idx), row.id, row.image, row.imageSource, row.status.rawValue, row.error]
        fields = fields.map(Self.quote)
        for v in row.scores { fields.append(v.flatMap(formatFloat) ?? "") }
        for v in row.styleLogits { fields.append(v.flatMap(formatFloat) ?? "") }
        fields.append(Self.quote(row.styles))
        try sink.write(fields.joined(separator: ",") + "\n")
    }

    public func finish() throws(TableError) { try sink.close() }

    static func quote(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var out = "\""
        for ch in s { out += ch == "\"" ? "\"\"" : String(ch) }
        return out + "\""
    }
}

public final class CSVTableReader: ScoreTableReader {
    private let lines: LineReader
    private var fields: [RowAssembler.Field] = []
    private var assembler = RowAssembler()

    public init(path: String) throws(TableError) {
        lines = try LineReader(path: path)
        guard let header = try record() else { throw .malformed(path: path, location: "line 1", reason: "empty file, no header") }
        // Spreadsheet exports start with a UTF-8 byte order mark; it is not part of the first column's name.
        var names = header.cells.map { $0 ?? "" }
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
        fields = names.map(RowAssembler.field)
        for required in ["idx", "status"] where !names.contains(required) {
            throw .missingColumn(path: path, column: required)
        }
    }

    public func next() throws(TableError) -> ScoreRow? {
        guard let rec = try record() else { return nil }
        guard rec.cells.count == fields.count else {
            throw .malformed(path: lines.path, location: "line \(rec.line)", reason: "\(rec.cells.count) fields, header has \(fields.count)")
        }
        for (field, cell) in zip(fields, rec.cells) {
            if let problem = assembler.set(field, text: cell) {
                throw .malformed(path: lines.path, location: "line \(rec.line)", reason: problem)
            }
        }
        let (row, problem) = assembler.finish()
        if let problem { throw .malformed(path: lines.path, location: "line \(rec.line)", reason: problem) }
        return row
    }

    /// One record; quoted fields may span lines, blank lines between records are skipped. A cell is nil when it
    /// was empty and unquoted.
    private func record() throws(TableError) -> (cells: [String?], line: Int)? {
        var text: [UInt8] = []
        var firstLine = 0
        var quotes = 0
        while true {
            guard let line = try lines.next() else {
                if firstLine == 0 { return nil }
                throw .malformed(path: lines.path, location: "line \(firstLine)", reason: "unterminated quoted field")
            }
            if firstLine == 0 {
                if line.isEmpty { continue }
                firstLine = lines.lineNumber
            } else {
                text.append(0x0A)
            }
            text += line
            quotes += line.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
            if quotes % 2 == 0 { break }
        }
        return (CSVCells.split(text), firstLine)
    }
}
