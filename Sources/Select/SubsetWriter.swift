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
        var poolItems = 0
        let framer: PoolFramer
        do { framer = try PoolFramer(path: pool) } catch { throw .pool(error) }
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
        while true {
            let next: PoolFramer.Item?
            do { next = try framer.next() } catch { throw .pool(error) }
            guard let item = next else { break }
            poolItems += 1
            let idx: Int64
            switch PoolItemProbe.probe(item.bytes) {
            case let .valid(explicit, _):
                idx = explicit ?? Int64(item.position)
            case .unsure:
                let decoded = PoolItem.decodeIndex(item.bytes, position: item.position, byteOffset: item.byteOffset)
                guard decoded.parseError == nil else { continue }
                idx = Int64(decoded.idx)
            }
            guard wanted.contains(idx) else { continue }
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

    /// idx -> image_source of every well-formed pool item, for inputs (official folders) that lack sources:
    /// framed and probed as `write` does, the decoder only for the items the probe cannot read a source from.
    public static func sources(pool: String) throws(SelectError) -> (sources: [Int64: String], count: Int) {
        let framer: PoolFramer
        do { framer = try PoolFramer(path: pool) } catch { throw .pool(error) }
        var map: [Int64: String] = [:]
        var count = 0
        while true {
            let next: PoolFramer.Item?
            do { next = try framer.next() } catch { throw .pool(error) }
            guard let item = next else { break }
            count += 1
            let bytes = item.bytes
            func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
            switch PoolItemProbe.probe(bytes) {
            case let .valid(explicit, .explicit(range)):
                map[explicit ?? Int64(item.position)] = text(range)
            case let .valid(explicit, .firstImage(range)):
                let slash = bytes[range].firstIndex(of: UInt8(ascii: "/")) ?? range.upperBound
                map[explicit ?? Int64(item.position)] = text(range.lowerBound ..< slash)
            case let .valid(explicit, .empty):
                map[explicit ?? Int64(item.position)] = ""
            case .valid(_, .undetermined), .unsure:
                let decoded = PoolItem.decodeIndex(bytes, position: item.position, byteOffset: item.byteOffset)
                if decoded.parseError == nil { map[Int64(decoded.idx)] = decoded.imageSource }
            }
        }
        return (map, count)
    }
}
