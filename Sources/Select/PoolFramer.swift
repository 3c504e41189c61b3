import Glibc
import Scorer

/// Finds where each item of a pool file (JSON array or JSONL) begins and ends, without decoding anything.
///
/// The subset writer only needs each item's bytes, so it frames the pool here and decodes nothing unless
/// `PoolItemProbe` cannot vouch for an item. The framing and its errors are `PoolReader`'s, rule for rule
/// (same item boundaries, same `PoolError`s at the same byte offsets; a differential test holds them
/// together), but over one large reusable buffer with no per-item allocation, and with strings skipped
/// eight bytes at a time.
final class PoolFramer {
    private enum ArrayState { case beforeFirst, beforeValue, afterValue, finished }

    let path: String
    private(set) var format = PoolReader.Format.jsonLines
    private let fd: Int32
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    /// Bytes of `storage` holding file data.
    private var count = 0
    /// File offset of `storage[0]`.
    private var base = 0
    private var cursor = 0
    private var eof = false
    private var state = ArrayState.beforeFirst
    /// Items returned so far (= the 0-based position of the next one).
    private(set) var position = 0

    /// The current item: `bytes` is valid until the next call to `next()`.
    struct Item {
        var bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        var byteOffset: Int
    }

    init(path: String, chunkSize: Int = 4 << 20) throws(PoolError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .unreadable(path: path, reason: "is a directory")
        }
        self.fd = fd
        capacity = max(chunkSize, 64)
        storage = .allocate(capacity: capacity)
        // Every stored property is set by now, so a throw below runs deinit, which frees the buffer.
        // As PoolReader: skip a UTF-8 byte-order mark and whitespace to see the first significant byte.
        while count < 3, try readMore() {}
        if count >= 3, storage[0] == 0xEF, storage[1] == 0xBB, storage[2] == 0xBF { cursor = 3 }
        var first: UInt8?
        while true {
            while cursor < count, Self.isSpace(storage[cursor]) { cursor += 1 }
            if cursor < count { first = storage[cursor]; break }
            if try !refill(keepingFrom: cursor) { break }
        }
        switch first {
        case UInt8(ascii: "["):
            format = .jsonArray
            cursor += 1
        case UInt8(ascii: "{"), nil:
            format = .jsonLines
            if first == nil { state = .finished }
        default:
            throw PoolError.notJSON(path: path, byteOffset: base + cursor)
        }
    }

    deinit {
        storage.deallocate()
        close(fd)
    }

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 }

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
        while true {
            let n = read(fd, storage + count, capacity - count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { eof = true; return false }
            count += n
            return true
        }
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
    func next() throws(PoolError) -> Item? {
        switch format {
        case .jsonArray: return try nextArrayItem()
        case .jsonLines: return try nextLine()
        }
    }

    private func nextArrayItem() throws(PoolError) -> Item? {
        while true {
            if state == .finished { return nil }
            while cursor < count, Self.isSpace(storage[cursor]) { cursor += 1 }
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
        let item = Item(bytes: UnsafeBufferPointer(start: storage + cursor, count: end - cursor), position: position, byteOffset: base + cursor)
        cursor = end
        state = .afterValue
        position += 1
        return item
    }

    private func expectOnlyWhitespace() throws(PoolError) {
        while true {
            while cursor < count, Self.isSpace(storage[cursor]) { cursor += 1 }
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
            if end > start, storage[end - 1] == 0x0D { end -= 1 }
            var first = start
            while first < end, Self.isSpace(storage[first]) { first += 1 }
            if first == end { continue }
            defer { position += 1 }
            return Item(bytes: UnsafeBufferPointer(start: storage + start, count: end - start), position: position, byteOffset: base + start)
        }
        return nil
    }
}
