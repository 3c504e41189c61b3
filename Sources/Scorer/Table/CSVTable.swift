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
            try Self.columns(text, fields, from: from, to: to, lineBase: 0)
        }) {
            return pieces
        }
        return [try Self.columns(text, fields, from: bodyStart, to: text.count, lineBase: bodyLine).0]
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
    /// number of lines before `from` (0 for a parallel piece, whose errors are re-read serially anyway).
    private static func columns(
        _ text: MappedText, _ fields: [RowAssembler.Field], from: Int, to: Int, lineBase: Int
    ) throws(TableError) -> (ScoreBatch, stop: Int) {
        var batch = ScoreBatch()
        var scratch = RowScratch()
        var pos = from
        var line = lineBase
        var released = from
        let base = text.base, end = text.count
        while pos < to {
            // Blank lines ("", "\r") are skipped before a record.
            if base[pos] == 0x0A { pos += 1; line += 1; continue }
            if base[pos] == 0x0D, pos + 1 == end || base[pos + 1] == 0x0A { pos = min(pos + 2, end); line += 1; continue }
            if let next = fastRecord(base, end, at: pos, fields, &scratch, &batch) {
                if batch.count == 0, scratch.pending == 0 { batch.reserve(ScoreBatch.estimatedRows(from: from, to: to, firstRow: next - pos)) }
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

    /// One single-line record of plain cells (unquoted, or quoted with `""` escapes and no line break) read from
    /// the bytes into `scratch`; the start of the next line, or nil for anything else, left to the text path.
    @inline(__always)
    private static func fastRecord(
        _ base: UnsafePointer<UInt8>, _ end: Int, at start: Int, _ fields: [RowAssembler.Field],
        _ scratch: inout RowScratch, _ batch: inout ScoreBatch
    ) -> Int? {
        var i = start
        var cell = 0
        let n = fields.count
        while true {
            guard cell < n else { return nil }
            // Score cells are read while the number's bytes are walked when a delimiter follows; otherwise the
            // cell's end is found first, as for every other cell, and its bytes read from there.
            if i == end || base[i] == 0x22 || !numberCell(base, &i, end, fields[cell], scratch) {
                let cs: Int, ce: Int
                var escaped = false
                if i < end, base[i] == 0x22 {
                    i += 1
                    let open = i
                    while true {
                        i = ByteScan.first(base, from: i, end: end, 0x22, 0x0A, 0x0D, 0x22)
                        guard i < end, base[i] == 0x22 else { return nil }
                        if i + 1 < end, base[i + 1] == 0x22 { escaped = true; i += 2; continue }
                        break
                    }
                    cs = open
                    ce = i
                    i += 1
                } else {
                    cs = i
                    i = ByteScan.first(base, from: i, end: end, 0x2C, 0x0A, 0x0D, 0x22)
                    ce = i
                }
                let p = base + cs, len = ce - cs
                switch fields[cell] {
                case .idx:
                    guard !escaped, let v = DecimalBytes.int64(p, len) else { return nil }
                    scratch.idx = v
                case .status:
                    guard !escaped, let ok = statusCell(p, len) else { return nil }
                    scratch.ok = ok
                case .imageSource:
                    guard !escaped else { return nil }
                    scratch.source = batch.sourceInterner.id(of: UnsafeBufferPointer(start: p, count: len), names: &batch.sourceNames)
                case .styles:
                    guard !escaped else { return nil }
                    scratch.styles = batch.styleInterner.id(of: UnsafeBufferPointer(start: p, count: len), names: &batch.styleCells)
                case let .capability(c):
                    guard let v = floatCell(p, len, escaped) else { return nil }
                    scratch.setScore(c, v)
                case .style:
                    // Validated, not kept: selection reads no style logits.
                    guard floatCell(p, len, escaped) != nil else { return nil }
                case .id, .image, .error, .unknown:
                    break
                }
            }
            cell += 1
            if i == end { return cell == n ? end : nil }
            switch base[i] {
            case 0x2C: i += 1
            case 0x0A: return cell == n ? i + 1 : nil
            case 0x0D:
                guard i + 1 == end || base[i + 1] == 0x0A, cell == n else { return nil }
                return min(i + 2, end)
            default: return nil
            }
        }
    }

    /// A capability or style cell that is a plain decimal followed by a delimiter, read at `i` and `i` moved past
    /// it; false (nothing read) for any other cell.
    @inline(__always)
    private static func numberCell(
        _ base: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int, _ field: RowAssembler.Field, _ scratch: borrowing RowScratch
    ) -> Bool {
        @inline(__always) func endsCell(_ j: Int) -> Bool { j == end || base[j] == 0x2C || base[j] == 0x0A || base[j] == 0x0D }
        switch field {
        case let .capability(c):
            guard let (v, length) = DecimalBytes.floatPrefix(base + i, end - i), endsCell(i + length) else { return false }
            scratch.setScore(c, v)
            i += length
            return true
        case .style:
            guard let length = DecimalBytes.floatPrefixLength(base + i, end - i), endsCell(i + length) else { return false }
            i += length
            return true
        default:
            return false
        }
    }

    /// A score cell: empty is a null (NaN); otherwise the Float the text path reads, or nil if it reads none.
    @inline(__always)
    private static func floatCell(_ p: UnsafePointer<UInt8>, _ len: Int, _ escaped: Bool) -> Float? {
        if len == 0 { return .nan }
        guard !escaped else { return nil }
        return DecimalBytes.float(p, len) ?? Float(String(decoding: UnsafeBufferPointer(start: p, count: len), as: UTF8.self))
    }
}
