import Glibc

/// Finds where each item of a pool file (JSON array or JSONL) begins and ends, without decoding anything.
///
/// This is the one definition of pool framing: `PoolReader` decodes the items it cuts (for `score`), and
/// the subset writer of `select` copies their bytes. The format is told by the first significant byte
/// after an optional UTF-8 byte-order mark: '[' is an array, '{' (or an empty file) is JSONL.
///
/// - JSONL: every line that is not blank is an item, without its line feed or a trailing carriage return.
///   A malformed line is still an item (the decoder turns it into an error row naming `line`).
/// - Array: an item ends after the bracket or string that closes it, or at a comma, whitespace or closing
///   bracket at depth 0 (`ValueEndScanner`); items are not validated here, a malformed one is the
///   decoder's to report. A broken structure (missing comma or item, unterminated array or item, data
///   after ']') throws `PoolError.brokenArray` at its byte offset once every earlier item was returned.
///
/// Bytes live in one reusable buffer: no per-item allocation, and memory is bounded by the chunk size
/// plus the largest single item.
package final class PoolFramer {
    private enum ArrayState { case beforeFirst, beforeValue, afterValue, finished }

    package let path: String
    package private(set) var format = PoolReader.Format.jsonLines
    private let source: ByteSource
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes of `storage` holding file data.
    private var count = 0
    /// File offset of `storage[0]`.
    private var base = 0
    private var cursor = 0
    private var eof = false
    private var state = ArrayState.beforeFirst
    /// Lines begun so far, blank ones included (JSONL only).
    private var lineNumber = 0
    /// Items returned so far (= the 0-based position of the next one).
    package private(set) var position = 0

    /// The current item: `bytes` is valid until the next call to `next()`.
    package struct Item {
        package var bytes: UnsafeBufferPointer<UInt8>
        package var position: Int
        package var byteOffset: Int
        /// 1-based line of a JSONL item (counting blank lines); 0 in a JSON array.
        package var line: Int
    }

    package init(path: String, chunkSize: Int = 4 << 20) throws(PoolError) {
        self.path = path
        source = try ByteSource(path: path)
        capacity = max(chunkSize, 64)
        storage = .allocate(capacity: capacity)
        // Every stored property is set by now, so a throw below runs deinit, which frees the buffer.
        // Skip a UTF-8 byte-order mark and whitespace to see the first significant byte.
        while count < 3, try readMore() {}
        if count >= 3, storage[0] == 0xEF, storage[1] == 0xBB, storage[2] == 0xBF { cursor = 3 }
        var first: UInt8?
        while true {
            while cursor < count, JSONBytes.isSpace(storage[cursor]) { cursor += 1 }
            if cursor < count { first = storage[cursor]; break }
            if try !refill(keepingFrom: cursor) { break }
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
            throw PoolError.notJSON(path: path, byteOffset: base + cursor)
        }
    }

    deinit { storage.deallocate() }

    /// Appends what one read gives after `count`, growing the buffer when it is full; false at end of file.
    private func readMore() throws(PoolError) -> Bool {
        if eof { return false }
        if count == capacity {
            // Only an item larger than the buffer gets here: double, as bounded as the item itself.
            let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity * 2)
            bigger.update(from: storage, count: count)
            storage.deallocate()
            storage = bigger
            capacity *= 2
        }
        let n = try source.read(to: storage + count, count: capacity - count)
        if n == 0 { eof = true; return false }
        count += n
        return true
    }

    /// Drops the bytes before `keep` (shifting `cursor` with them) and reads more; false at end of file.
    private func refill(keepingFrom keep: Int) throws(PoolError) -> Bool {
        if eof { return false }
        if keep > 0 {
            memmove(storage, storage + keep, count - keep)
            count -= keep
            base += keep
            cursor -= keep
        }
        return try readMore()
    }

    private func broken(_ offset: Int, _ reason: String) -> PoolError {
        state = .finished
        return .brokenArray(path: path, byteOffset: offset, reason: reason)
    }

    /// The next item, nil at the end of the pool.
    package func next() throws(PoolError) -> Item? {
        switch format {
        case .jsonArray: return try nextArrayItem()
        case .jsonLines: return try nextLine()
        }
    }

    private func nextArrayItem() throws(PoolError) -> Item? {
        // Find the start of the next value.
        while true {
            if state == .finished { return nil }
            while cursor < count, JSONBytes.isSpace(storage[cursor]) { cursor += 1 }
            if cursor >= count {
                if try refill(keepingFrom: cursor) { continue }
                throw broken(base + cursor, "unterminated array (missing ']')")
            }
            let b = storage[cursor]
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
                throw broken(base + cursor, "expected ',' or ']' between items")
            case (_, UInt8(ascii: ",")), (_, UInt8(ascii: "]")):
                throw broken(base + cursor, "missing item")
            default:
                break
            }
            break
        }
        var scanner = ValueEndScanner()
        var scan = cursor
        var end = -1
        while true {
            end = scanner.scan(storage, from: scan, to: count)
            if end >= 0 { break }
            scan = count
            let start = cursor
            if try !refill(keepingFrom: start) { throw broken(base + cursor, "item starting here is unterminated") }
            scan -= start
        }
        let item = Item(
            bytes: UnsafeBufferPointer(start: storage + cursor, count: end - cursor), position: position,
            byteOffset: base + cursor, line: 0)
        cursor = end
        state = .afterValue
        position += 1
        return item
    }

    private func expectOnlyWhitespace() throws(PoolError) {
        while true {
            while cursor < count, JSONBytes.isSpace(storage[cursor]) { cursor += 1 }
            if cursor < count { throw broken(base + cursor, "data after the closing ']'") }
            if try !refill(keepingFrom: cursor) { return }
        }
    }

    private func nextLine() throws(PoolError) -> Item? {
        while state != .finished {
            var newline = -1
            var scan = cursor
            while true {
                if scan < count, let hit = memchr(storage + scan, 0x0A, count - scan) {
                    newline = storage.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    break
                }
                scan = count
                let keep = cursor
                if try !refill(keepingFrom: keep) { break }
                scan -= keep
            }
            let start = cursor
            var end = newline >= 0 ? newline : count
            cursor = newline >= 0 ? newline + 1 : count
            if newline < 0 { state = .finished }
            lineNumber += 1
            if end > start, storage[end - 1] == 0x0D { end -= 1 }
            var first = start
            while first < end, JSONBytes.isSpace(storage[first]) { first += 1 }
            if first == end { continue }
            defer { position += 1 }
            return Item(
                bytes: UnsafeBufferPointer(start: storage + start, count: end - start), position: position,
                byteOffset: base + start, line: lineNumber)
        }
        return nil
    }
}
