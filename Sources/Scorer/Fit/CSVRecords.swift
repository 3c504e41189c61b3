/// RFC 4180 records of a CSV file, one at a time: quoted fields may hold commas, doubled quotes and newlines.
/// A cell is nil when it is empty and unquoted.
final class CSVRecords {
    private let lines: LineReader

    init(path: String) throws(TableError) {
        lines = try LineReader(path: path)
    }

    func next() throws(TableError) -> [String?]? {
        var text: [UInt8] = []
        var quotes = 0, started = false
        repeat {
            guard let line = try lines.next() else {
                if !started { return nil }
                throw .malformed(path: lines.path, location: "line \(lines.lineNumber)", reason: "unterminated quoted field")
            }
            if started { text.append(0x0A) } else if line.isEmpty { continue }
            started = true
            text += line
            quotes += line.reduce(0) { $0 + ($1 == 0x22 ? 1 : 0) }
        } while quotes % 2 == 1
        return CSVCells.split(text)
    }
}
