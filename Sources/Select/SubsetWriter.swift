import Scorer

/// Writes the selected items as a JSON array, each item's bytes exactly as in the pool and in pool order,
/// streaming the pool a second time so memory holds only the set of selected idx.
///
/// An item is written when the pool decoder accepts it and its idx is selected, as if every item went
/// through `PoolReader`; but decoding millions of items only to copy a third of them verbatim dominated
/// a whole `select` run, so `PoolFramer` finds the items' bytes and `PoolItemProbe` vouches for plain items
/// without building anything, leaving the decoder only the items the probe is unsure of.
public enum SubsetWriter {
    public struct Outcome: Sendable {
        public var written: Int
        public var poolItems: Int
        /// The idx of the items written, in pool order (what `--ids-out` lists).
        public var writtenIdx: [Int64]
        /// Selected idx that no pool item carries.
        public var missing: [Int64]
    }

    public static func write(selected: Set<Int64>, pool: String, to path: String) throws(SelectError) -> Outcome {
        try write(selected: Array(selected), pool: pool, to: path)
    }

    /// `selected` may hold repeats and be in any order.
    public static func write(selected: [Int64], pool: String, to path: String) throws(SelectError) -> Outcome {
        let wanted = IdxSet(selected)
        var found = IdxSet(emptyLike: wanted)
        var written = 0
        var writtenIdx: [Int64] = []
        // The pool opens first, so a bad pool path leaves an existing output untouched.
        let framer = try openPool(pool)
        let sink: ByteSink
        do { sink = try ByteSink(path: path) } catch { throw .table(error) }
        // Items are gathered here and handed to the sink a megabyte at a time.
        var out: [UInt8] = []
        let flushAt = 1 << 20
        out.reserveCapacity(flushAt + (64 << 10))
        func put(_ bytes: UnsafeBufferPointer<UInt8>) throws(SelectError) {
            out.append(contentsOf: bytes)
            if out.count >= flushAt { try flush() }
        }
        func put(_ text: StaticString) throws(SelectError) {
            try put(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }
        func flush() throws(SelectError) {
            do { try sink.write(out) } catch { throw .table(error) }
            out.removeAll(keepingCapacity: true)
        }
        try put("[")
        let poolItems = try forEachAccepted(in: framer) { (item, idx, _) throws(SelectError) in
            guard wanted.contains(idx) else { return }
            try put(written == 0 ? "\n" : ",\n")
            try put(item.bytes)
            found.insert(idx)
            writtenIdx.append(idx)
            written += 1
        }
        try put(written == 0 ? "]\n" : "\n]\n")
        try flush()
        do { try sink.close() } catch { throw .table(error) }
        var missing = selected.filter { !found.contains($0) }
        missing.sort()
        var unique: [Int64] = []
        for v in missing where unique.last != v { unique.append(v) }
        return Outcome(written: written, poolItems: poolItems, writtenIdx: writtenIdx, missing: unique)
    }

    /// The image_source of every well-formed pool item, for inputs (official folders) that lack sources.
    public static func sources(pool: String) throws(SelectError) -> PoolSources {
        var interner = ByteInterner()
        var names: [String] = []
        var ids: [Int32] = []
        // Held only once an item's idx is not its position (pools rarely give idx), as 8 bytes an item add up.
        var idx: [Int64]?
        let count = try forEachAccepted(in: try openPool(pool)) { (_, v, withSource) throws(SelectError) in
            withSource { ids.append(interner.id(of: $0, names: &names)) }
            if idx == nil, v != Int64(ids.count - 1) { idx = (0..<Int64(ids.count - 1)).map { $0 } }
            idx?.append(v)
        }
        return PoolSources(names: names, poolItems: count, idx: idx, ids: ids)
    }

    private static func openPool(_ pool: String) throws(SelectError) -> PoolFramer {
        do { return try PoolFramer(path: pool) } catch { throw .pool(error) }
    }

    /// Calls `body` with every pool item the decoder accepts, in pool order, its idx, and a function that
    /// hands its image_source's UTF-8 to a closure; returns how many items the pool holds. `PoolFramer` finds
    /// the items' bytes and `PoolItemProbe` vouches for the plain ones (and finds their source in the bytes);
    /// the decoder sees only the rest.
    private static func forEachAccepted(
        in framer: PoolFramer,
        _ body: (PoolFramer.Item, Int64, (_ use: (UnsafeBufferPointer<UInt8>) -> Void) -> Void) throws(SelectError) -> Void
    ) throws(SelectError) -> Int {
        var count = 0
        while true {
            let next: PoolFramer.Item?
            do { next = try framer.next() } catch { throw .pool(error) }
            guard let item = next else { return count }
            count += 1
            let bytes = item.bytes
            func decoded() -> PoolItem { PoolItem.decodeIndex(bytes, position: item.position, byteOffset: item.byteOffset) }
            switch PoolItemProbe.probe(bytes) {
            case let .valid(explicit, source):
                try body(item, explicit ?? Int64(item.position)) { use in
                    switch source {
                    case .empty: use(UnsafeBufferPointer(start: bytes.baseAddress, count: 0))
                    case let .explicit(range): use(UnsafeBufferPointer(rebasing: bytes[range]))
                    case let .firstImage(range):
                        let end = bytes[range].firstIndex(of: UInt8(ascii: "/")) ?? range.upperBound
                        use(UnsafeBufferPointer(rebasing: bytes[range.lowerBound ..< end]))
                    case .undetermined:
                        var text = decoded().imageSource
                        text.withUTF8(use)
                    }
                }
            case .unsure:
                let full = decoded()
                guard full.parseError == nil else { continue }
                try body(item, Int64(full.idx)) { use in
                    var text = full.imageSource
                    text.withUTF8(use)
                }
            }
        }
    }
}
