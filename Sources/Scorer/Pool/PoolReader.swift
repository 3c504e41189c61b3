/// Streams the items of a pool file: a JSON array (LLaVA convention) or JSONL, told apart by the first
/// non-space byte.
///
/// The file is read in chunks; for arrays a byte-level scanner that tracks strings, escapes and nesting finds
/// where each item ends, and only that item's bytes are decoded. Memory is bounded by the chunk size plus
/// the largest single item. A malformed item becomes an error item and the stream goes on; an array whose
/// structure is broken (unterminated, missing comma, ...) throws `PoolError.brokenArray` after every item
/// before the break has been returned.
public final class PoolReader {
    public enum Format: Sendable { case jsonArray, jsonLines }

    public struct Options: Sendable {
        /// Keep each item's verbatim bytes (needed to write a subset).
        public var keepRaw: Bool
        /// Decode `conversations`; off for the index-only pass of `select`.
        public var conversations: Bool
        public var chunkSize: Int

        public init(keepRaw: Bool = true, conversations: Bool = true, chunkSize: Int = 1 << 20) {
            self.keepRaw = keepRaw
            self.conversations = conversations
            self.chunkSize = chunkSize
        }

        /// What `select` needs: idx, image_source and raw bytes, without decoding the text.
        public static let index = Options(keepRaw: true, conversations: false)
    }

    private enum ArrayState { case beforeFirst, beforeValue, inValue, afterValue, finished }

    public let path: String
    public let format: Format
    private let options: Options
    private let source: ByteSource
    private var buffer: [UInt8] = []
    /// File offset of `buffer[0]`.
    private var bufferBase = 0
    private var cursor = 0
    private var eof = false
    private var position = 0
    private var lineNumber = 0
    private var state = ArrayState.beforeFirst

    public init(path: String, options: Options = Options()) throws(PoolError) {
        self.path = path
        self.options = options
        source = try ByteSource(path: path)
        // Skip a UTF-8 byte-order mark and leading whitespace to see the first significant byte.
        while buffer.count < 3, try source.read(into: &buffer, count: options.chunkSize) > 0 {}
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { cursor = 3 }
        var first: UInt8?
        while true {
            while cursor < buffer.count, Self.isSpace(buffer[cursor]) { cursor += 1 }
            if cursor < buffer.count { first = buffer[cursor]; break }
            if try source.read(into: &buffer, count: options.chunkSize) == 0 { break }
        }
        switch first {
        case UInt8(ascii: "["):
            format = .jsonArray
            cursor += 1
        case UInt8(ascii: "{"), nil:
            // An empty file is an empty JSONL pool.
            format = .jsonLines
            if first == nil { state = .finished }
        default:
            throw .notJSON(path: path, byteOffset: cursor)
        }
    }

    /// The next item, nil at the end of the pool.
    public func next() throws(PoolError) -> PoolItem? {
        switch format {
        case .jsonArray: return try nextArrayItem()
        case .jsonLines: return try nextLine()
        }
    }

    /// Counts the pool's items without keeping them.
    public static func count(path: String) throws(PoolError) -> Int {
        let reader = try PoolReader(path: path, options: Options(keepRaw: false, conversations: false))
        var n = 0
        while try reader.next() != nil { n += 1 }
        return n
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

    /// Drops consumed bytes and reads another chunk; false at end of file.
    private func refill(keepingFrom keep: Int) throws(PoolError) -> Bool {
        if eof { return false }
        if keep > 0 {
            buffer.removeFirst(keep)
            bufferBase += keep
            cursor -= keep
        }
        if try source.read(into: &buffer, count: options.chunkSize) == 0 { eof = true; return false }
        return true
    }

    private func broken(_ offset: Int, _ reason: String) -> PoolError {
        state = .finished
        return .brokenArray(path: path, byteOffset: offset, reason: reason)
    }

    private func nextArrayItem() throws(PoolError) -> PoolItem? {
        // Find the start of the next value.
        while true {
            if state == .finished { return nil }
            while cursor < buffer.count, Self.isSpace(buffer[cursor]) { cursor += 1 }
            if cursor >= buffer.count {
                if try refill(keepingFrom: cursor) { continue }
                throw broken(bufferBase + cursor, "unterminated array (missing ']')")
            }
            let b = buffer[cursor]
            switch (state, b) {
            case (.beforeFirst, UInt8(ascii: "]")), (.afterValue, UInt8(ascii: "]")):
                cursor += 1
                state = .finished
                try expectOnlyWhitespace()
                return nil
            case (.afterValue, UInt8(ascii: ",")):
                cursor += 1
                state = .beforeValue
                continue
            case (.afterValue, _):
                throw broken(bufferBase + cursor, "expected ',' or ']' between items")
            case (_, UInt8(ascii: ",")), (_, UInt8(ascii: "]")):
                throw broken(bufferBase + cursor, "missing item")
            default:
                break
            }
            break
        }
        var start = cursor
        var scan = cursor
        var depth = 0
        var inString = false
        var escaped = false
        var end = -1
        while end < 0 {
            if scan >= buffer.count {
                let keep = eof ? 0 : start
                let more = try refill(keepingFrom: keep)
                scan -= keep
                start -= keep
                if !more { throw broken(bufferBase + start, "item starting here is unterminated") }
                continue
            }
            let found: Int = buffer.withUnsafeBufferPointer { buf in
                var i = scan
                while i < buf.count {
                    let c = buf[i]
                    if inString {
                        if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 {
                            inString = false
                            if depth == 0 { return i + 1 }
                        }
                    } else {
                        switch c {
                        case 0x22: inString = true
                        case 0x7B, 0x5B: depth += 1
                        case 0x7D, 0x5D:
                            if depth == 0 { return i }
                            depth -= 1
                            if depth == 0 { return i + 1 }
                        case 0x2C, 0x20, 0x0A, 0x0D, 0x09:
                            if depth == 0 { return i }
                        default: break
                        }
                    }
                    i += 1
                }
                scan = i
                return -1
            }
            end = found
        }
        cursor = end
        state = .afterValue
        defer { position += 1 }
        let offset = bufferBase + start
        return buffer.withUnsafeBufferPointer { buf in
            PoolItemDecoder.decode(
                UnsafeBufferPointer(rebasing: buf[start..<end]), position: position, byteOffset: offset,
                keepRaw: options.keepRaw, conversations: options.conversations,
                errorPrefix: { "bad JSON at byte \($0)" })
        }
    }

    private func expectOnlyWhitespace() throws(PoolError) {
        while true {
            while cursor < buffer.count, Self.isSpace(buffer[cursor]) { cursor += 1 }
            if cursor < buffer.count {
                throw broken(bufferBase + cursor, "data after the closing ']'")
            }
            if try !refill(keepingFrom: cursor) { return }
        }
    }

    private func nextLine() throws(PoolError) -> PoolItem? {
        while state != .finished {
            var newline = -1
            var scan = cursor
            while newline < 0 {
                if let i = buffer[scan...].firstIndex(of: 0x0A) { newline = i; break }
                scan = buffer.count
                let keep = cursor
                if try !refill(keepingFrom: keep) { break }
                scan -= keep
            }
            let start = cursor
            var end = newline >= 0 ? newline : buffer.count
            cursor = newline >= 0 ? newline + 1 : buffer.count
            if newline < 0 { state = .finished }
            lineNumber += 1
            if end > start, buffer[end - 1] == 0x0D { end -= 1 }
            var first = start
            while first < end, Self.isSpace(buffer[first]) { first += 1 }
            if first == end { continue }
            let line = lineNumber
            let lineStart = bufferBase + start
            defer { position += 1 }
            return buffer.withUnsafeBufferPointer { buf in
                PoolItemDecoder.decode(
                    UnsafeBufferPointer(rebasing: buf[start..<end]), position: position, byteOffset: lineStart,
                    keepRaw: options.keepRaw, conversations: options.conversations,
                    errorPrefix: { "line \(line): bad JSON at byte \($0)" })
            }
        }
        return nil
    }
}
