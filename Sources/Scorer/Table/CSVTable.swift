import CText

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

/// Reads a CSV score table from a memory map. `next()` gives whole rows (merge, tests); `columns()` gives what
/// selection needs, parsed from the bytes on all cores. Both frame records the same way and hand any record the
/// byte-level path is not sure of to the same text path (`CSVCells`, `RowAssembler`), so they accept, reject and
/// read every file alike, with the same messages.
public final class CSVTableReader: ScoreTableReader {
    private let text: MappedText
    private let fields: [RowAssembler.Field]
    private let bodyStart: Int
    private let bodyLine: Int
    private var cursor: Int
    private var line: Int
    private var released = 0

    public init(path: String) throws(TableError) {
        text = try MappedText(path: path)
        var cursor = 0, line = 0
        guard let header = try Self.record(text, at: &cursor, line: &line) else {
            throw .malformed(path: path, location: "line 1", reason: "empty file, no header")
        }
        // Spreadsheet exports start with a UTF-8 byte order mark; it is not part of the first column's name.
        var names = header.cells.map { $0 ?? "" }
        if let first = names.first, first.hasPrefix("\u{FEFF}") { names[0] = String(first.dropFirst()) }
        fields = names.map(RowAssembler.field)
        for required in ["idx", "status"] where !names.contains(required) {
            throw .missingColumn(path: path, column: required)
        }
        bodyStart = cursor
        bodyLine = line
        self.cursor = cursor
        self.line = line
    }

    public func next() throws(TableError) -> ScoreRow? {
        guard let rec = try Self.record(text, at: &cursor, line: &line) else { return nil }
        if cursor - released > MappedText.releaseEvery { text.release(released, cursor); released = cursor }
        return try Self.row(rec.cells, line: rec.line, fields: fields, path: text.path)
    }

    /// The whole table as column batches in file order (`pieces` and `minimumPiece` for tests).
    public func columns(pieces: Int? = nil, minimumPiece: Int = 4 << 20) throws(TableError) -> [ScoreBatch] {
        let (text, fields) = (self.text, self.fields)
        let cuts = text.cuts(from: bodyStart, pieces: pieces, minimumPiece: minimumPiece)
        if cuts.count > 2, let pieces = text.parallel(cuts, { (from, to) throws(TableError) in
            try Self.columns(text, fields, from: from, to: to, lineBase: 0, roomTo: from == cuts[0] ? text.count : to)
        }) {
            return pieces
        }
        return [try Self.columns(text, fields, from: bodyStart, to: text.count, lineBase: bodyLine, roomTo: text.count).0]
    }

    /// One record from `cursor`, the text way: blank lines before it skipped, lines joined while a quote is open.
    /// A cell is nil when it was empty and unquoted. `line` counts the lines consumed.
    private static func record(_ text: MappedText, at cursor: inout Int, line: inout Int) throws(TableError) -> (cells: [String?], line: Int)? {
        var bytes: [UInt8] = []
        var firstLine = 0
        var quotes = 0
        while true {
            guard cursor < text.count else {
                if firstLine == 0 { return nil }
                throw .malformed(path: text.path, location: "line \(firstLine)", reason: "unterminated quoted field")
            }
            let (end, next) = text.line(at: cursor)
            line += 1
            defer { cursor = next }
            if firstLine == 0 {
                if end == cursor { continue }
                firstLine = line
            } else {
                bytes.append(0x0A)
            }
            let piece = UnsafeBufferPointer(start: text.base + cursor, count: end - cursor)
            bytes.append(contentsOf: piece)
            for b in piece where b == 0x22 { quotes += 1 }
            if quotes % 2 == 0 { break }
        }
        return (CSVCells.split(bytes), firstLine)
    }

    private static func row(_ cells: [String?], line: Int, fields: [RowAssembler.Field], path: String) throws(TableError) -> ScoreRow {
        guard cells.count == fields.count else {
            throw .malformed(path: path, location: "line \(line)", reason: "\(cells.count) fields, header has \(fields.count)")
        }
        var assembler = RowAssembler()
        for (field, cell) in zip(fields, cells) {
            if let problem = assembler.set(field, text: cell) {
                throw .malformed(path: path, location: "line \(line)", reason: problem)
            }
        }
        let (row, problem) = assembler.finish()
        if let problem { throw .malformed(path: path, location: "line \(line)", reason: problem) }
        return row
    }

    /// The records starting in [from, to) as a batch, and where the next record starts. `lineBase` is the
    /// number of lines before `from` (0 for a parallel piece, whose errors are re-read serially anyway). The
    /// batch has room for the rows up to `roomTo` (`ScoreBatch.estimatedRows`).
    private static func columns(
        _ text: MappedText, _ fields: [RowAssembler.Field], from: Int, to: Int, lineBase: Int, roomTo: Int
    ) throws(TableError) -> (ScoreBatch, stop: Int) {
        var batch = ScoreBatch()
        var scratch = RowScratch()
        var pos = from
        var line = lineBase
        var released = from
        let base = text.base, end = text.count
        let plan = CellPlan(fields)
        while pos < to {
            // Blank lines ("", "\r") are skipped before a record.
            if base[pos] == 0x0A { pos += 1; line += 1; continue }
            if base[pos] == 0x0D, pos + 1 == end || base[pos + 1] == 0x0A { pos = min(pos + 2, end); line += 1; continue }
            if let next = fastRecord(base, end, at: pos, plan, &scratch, &batch) {
                if batch.count == 0, scratch.pending == 0 { batch.reserve(ScoreBatch.estimatedRows(from: from, to: roomTo, firstRow: next - pos)) }
                scratch.append(to: &batch)
                pos = next
                line += 1
            } else {
                scratch.reset()
                guard let rec = try record(text, at: &pos, line: &line) else { break }
                scratch.flush(to: &batch)
                batch.append(try row(rec.cells, line: rec.line, fields: fields, path: text.path))
            }
            if pos - released > MappedText.releaseEvery { text.release(released, pos); released = pos }
        }
        scratch.flush(to: &batch)
        return (batch, pos)
    }

    /// What the C record reader reads from each column: `kinds` (`MMSSR_CELL_*`), and for score columns the
    /// capability (`targets`).
    private struct CellPlan {
        let kinds: [UInt8]
        let targets: [Int32]

        init(_ fields: [RowAssembler.Field]) {
            var kinds: [UInt8] = [], targets: [Int32] = []
            for field in fields {
                var target: Int32 = 0
                let kind: Int
                switch field {
                case .idx: kind = MMSSR_CELL_IDX
                case .status: kind = MMSSR_CELL_STATUS
                case .imageSource: kind = MMSSR_CELL_SOURCE
                case .styles: kind = MMSSR_CELL_STYLES
                case let .capability(c): kind = MMSSR_CELL_SCORE; target = Int32(c)
                case .style: kind = MMSSR_CELL_LOGIT
                case .id, .image, .error, .unknown: kind = MMSSR_CELL_IGNORED
                }
                kinds.append(UInt8(kind))
                targets.append(target)
            }
            self.kinds = kinds
            self.targets = targets
        }
    }

    /// One single-line record of plain cells (unquoted, or quoted with `""` escapes and no line break) read from
    /// the bytes into `scratch` (by `mmssr_csv_record`); the start of the next line, or nil for anything else,
    /// left to the text path.
    @inline(__always)
    private static func fastRecord(
        _ base: UnsafePointer<UInt8>, _ end: Int, at start: Int, _ plan: borrowing CellPlan,
        _ scratch: inout RowScratch, _ batch: inout ScoreBatch
    ) -> Int? {
        var cells = mmssr_csv_fields(idx: 0, ok: 1, source_start: 0, source_length: -1, styles_start: 0, styles_length: -1)
        let next = plan.kinds.withUnsafeBufferPointer { kinds in
            plan.targets.withUnsafeBufferPointer { targets in
                mmssr_csv_record(base, Int64(end), Int64(start), kinds.baseAddress, targets.baseAddress, Int32(kinds.count),
                                 &cells, scratch.scoreSlots, Int64(RowScratch.blockRows))
            }
        }
        guard next >= 0 else { return nil }
        scratch.idx = cells.idx
        scratch.ok = cells.ok != 0
        if cells.source_length >= 0 {
            scratch.source = batch.sourceInterner.id(of: UnsafeBufferPointer(start: base + Int(cells.source_start), count: Int(cells.source_length)), names: &batch.sourceNames)
        }
        if cells.styles_length >= 0 {
            scratch.styles = batch.styleInterner.id(of: UnsafeBufferPointer(start: base + Int(cells.styles_start), count: Int(cells.styles_length)), names: &batch.styleCells)
        }
        return Int(next)
    }
}
