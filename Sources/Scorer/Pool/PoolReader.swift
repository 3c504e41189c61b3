/// Streams the items of a pool file: a JSON array (LLaVA convention) or JSONL, told apart by the first
/// non-space byte.
///
/// `PoolFramer` cuts the file into items (it reads in chunks, so memory is bounded by the chunk size plus
/// the largest single item) and only each item's bytes are decoded. A malformed item becomes an error item
/// (naming its line in JSONL) and the stream goes on; an array whose structure is broken (unterminated,
/// missing comma, ...) throws `PoolError.brokenArray` after every item before the break has been returned.
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

    public let path: String
    public let format: Format
    private let options: Options
    private let framer: PoolFramer

    public init(path: String, options: Options = Options()) throws(PoolError) {
        self.path = path
        self.options = options
        framer = try PoolFramer(path: path, chunkSize: options.chunkSize)
        format = framer.format
    }

    /// The next item, nil at the end of the pool.
    public func next() throws(PoolError) -> PoolItem? {
        guard let item = try framer.next() else { return nil }
        let line = item.line
        return PoolItemDecoder.decode(
            item.bytes, position: item.position, byteOffset: item.byteOffset,
            keepRaw: options.keepRaw, conversations: options.conversations,
            errorPrefix: line > 0 ? { "line \(line): bad JSON at byte \($0)" } : { "bad JSON at byte \($0)" })
    }

    /// Counts the pool's items without keeping them. Framing alone decides what an item is (a malformed
    /// one still counts), so nothing is decoded.
    public static func count(path: String) throws(PoolError) -> Int {
        let framer = try PoolFramer(path: path)
        var n = 0
        while try framer.next() != nil { n += 1 }
        return n
    }
}
