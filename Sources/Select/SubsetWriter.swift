import Scorer

/// Writes the selected items as a JSON array, each item's bytes exactly as in the pool and in pool order,
/// streaming the pool a second time so memory holds only the set of selected idx.
public enum SubsetWriter {
    public struct Outcome: Sendable {
        public var written: Int
        public var poolItems: Int
        /// Selected idx that no pool item carries.
        public var missing: [Int64]
    }

    public static func write(selected: Set<Int64>, pool: String, to path: String) throws(SelectError) -> Outcome {
        var found = Set<Int64>()
        found.reserveCapacity(selected.count)
        var written = 0
        var poolItems = 0
        let reader: PoolReader
        do { reader = try PoolReader(path: pool, options: .index) } catch { throw .pool(error) }
        let sink: ByteSink
        do { sink = try ByteSink(path: path) } catch { throw .table(error) }
        func put(_ bytes: [UInt8]) throws(SelectError) {
            do { try sink.write(bytes) } catch { throw .table(error) }
        }
        func put(_ text: String) throws(SelectError) {
            do { try sink.write(text) } catch { throw .table(error) }
        }
        try put("[")
        while true {
            let next: PoolItem?
            do { next = try reader.next() } catch { throw .pool(error) }
            guard let item = next else { break }
            poolItems += 1
            let idx = Int64(item.idx)
            guard item.parseError == nil, selected.contains(idx), let raw = item.raw else { continue }
            try put(written == 0 ? "\n" : ",\n")
            try put(raw)
            found.insert(idx)
            written += 1
        }
        try put(written == 0 ? "]\n" : "\n]\n")
        do { try sink.close() } catch { throw .table(error) }
        let missing = selected.subtracting(found).sorted()
        return Outcome(written: written, poolItems: poolItems, missing: missing)
    }

    /// idx -> image_source of every well-formed pool item, for inputs (official folders) that lack sources.
    public static func sources(pool: String) throws(SelectError) -> (sources: [Int64: String], count: Int) {
        let reader: PoolReader
        do { reader = try PoolReader(path: pool, options: .init(keepRaw: false, conversations: false)) } catch { throw .pool(error) }
        var map: [Int64: String] = [:]
        var count = 0
        while true {
            let next: PoolItem?
            do { next = try reader.next() } catch { throw .pool(error) }
            guard let item = next else { break }
            count += 1
            if item.parseError == nil { map[Int64(item.idx)] = item.imageSource }
        }
        return (map, count)
    }
}
