/// Streams the rows of a features file in file order, in bounded memory.
public final class FeatureFileReader {
    public let path: String
    public let header: FeatureFileHeader
    private let source: ByteSource
    private var buffer: [UInt8] = []
    private var cursor = 0
    /// File offset of `buffer[0]`.
    private var base = 0
    private var eof = false
    private let chunk = 1 << 20

    public init(path: String) throws(FeatureFileError) {
        self.path = path
        do { source = try ByteSource(path: path) } catch { throw .io(path: path, reason: error.description) }
        var first: [UInt8] = [], headerEnd: Int?
        do {
            while headerEnd == nil, try source.read(into: &first, count: chunk) > 0 { headerEnd = first.firstIndex(of: 0x0A) }
        } catch {
            throw .io(path: path, reason: error.description)
        }
        buffer = first
        guard let headerEnd else { throw .malformed(path: path, offset: 0, reason: "no header line (empty or not a features file)") }
        switch FeatureFileHeader.decode(buffer[..<headerEnd]) {
        case let .success(h): header = h
        case let .failure(reason): throw .malformed(path: path, offset: 0, reason: reason.text)
        }
        cursor = headerEnd + 1
    }

    /// File offset just past the last complete record returned (or the header).
    public var offset: Int { base + cursor }

    /// The next row; nil at the end. A record cut short by the end of the file is an error unless
    /// `allowTornTail` (resume: the killed run's last batch), where it also ends the rows.
    public func next(allowTornTail: Bool = false) throws(FeatureFileError) -> FeatureRow? {
        while true {
            if cursor == buffer.count && eof { return nil }
            switch FeatureRecordCodec.decode(buffer, from: cursor, featureCount: header.featureCount) {
            case let .row(row, end):
                cursor = end
                return row
            case let .malformed(reason):
                throw .malformed(path: path, offset: offset, reason: reason.text)
            case .incomplete:
                if eof {
                    if allowTornTail { return nil }
                    throw .malformed(path: path, offset: offset, reason: "the last record is cut short (an unfinished run?)")
                }
                buffer.removeFirst(cursor)
                base += cursor
                cursor = 0
                _ = try fill()
            }
        }
    }

    private func fill() throws(FeatureFileError) -> Int {
        let got: Int
        do { got = try source.read(into: &buffer, count: chunk) } catch { throw .io(path: path, reason: error.description) }
        if got == 0 { eof = true }
        return got
    }
}
