/// Reads a text file line by line in bounded memory (chunked), for the CSV, JSONL and official-folder readers.
final class LineReader {
    let path: String
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var cursor = 0
    private var eof = false
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    init(path: String) throws(TableError) {
        self.path = path
        do { source = try ByteSource(path: path) } catch { throw .io(path: path, reason: error.description) }
    }

    /// The next line without its terminator ("\n" or "\r\n"), nil at end of file.
    func next() throws(TableError) -> ArraySlice<UInt8>? {
        var scan = cursor
        while true {
            if let nl = buffer[scan...].firstIndex(of: 0x0A) {
                var end = nl
                if end > cursor, buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[cursor..<end]
                cursor = nl + 1
                lineNumber += 1
                return line
            }
            scan = buffer.count
            if eof {
                guard cursor < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[cursor..<end]
                cursor = buffer.count
                lineNumber += 1
                return line
            }
            buffer.removeFirst(cursor)
            scan -= cursor
            cursor = 0
            do {
                if try source.read(into: &buffer, count: 1 << 20) == 0 { eof = true }
            } catch { throw .io(path: path, reason: error.description) }
        }
    }
}
