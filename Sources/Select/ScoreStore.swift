import Scorer

/// The score table held column-wise for selection: Float32 score columns (NaN = null), interned sources and
/// styles, one row per table row. Rows are never materialised; algorithms work on row numbers.
public struct ScoreStore: Sendable {
    public private(set) var idx: [Int64] = []
    public private(set) var ok: [Bool] = []
    /// Index into `sourceNames`.
    public private(set) var source: [Int32] = []
    public private(set) var sourceNames: [String] = []
    /// `scores[c][row]` for capability c in `Capabilities.keys` order.
    public private(set) var scores: [[Float]] = Array(repeating: [], count: Capabilities.keys.count)
    /// Styles of row r are `styleSets[Int(styleSet[r])]`: style ids, most probable first, no repeats.
    /// Rows share few distinct combinations, so each is stored once.
    public private(set) var styleSet: [Int32] = []
    public private(set) var styleSets: [[UInt8]] = []
    /// The 9 official names first, then any other name met in the input.
    public private(set) var styleNames: [String] = Styles.names

    private var sourceIndex: [String: Int32] = [:]
    private var parsedStyles: [String: Int32] = [:]
    private var setIndex: [[UInt8]: Int32] = [:]
    private var styleIndex: [String: UInt8] = Dictionary(uniqueKeysWithValues: Styles.names.enumerated().map { ($1, UInt8($0)) })

    public init() {}

    public var count: Int { idx.count }

    public mutating func reserve(_ n: Int) {
        idx.reserveCapacity(n)
        ok.reserveCapacity(n)
        source.reserveCapacity(n)
        styleSet.reserveCapacity(n)
        for c in scores.indices { scores[c].reserveCapacity(n) }
    }

    /// Room for n rows in the columns the store maps from a batch's row by row (sources, styles), leaving the
    /// others empty so that the first batch appended lends its buffers.
    mutating func reserveMapped(_ n: Int) {
        source.reserveCapacity(n)
        styleSet.reserveCapacity(n)
    }

    public mutating func append(_ row: ScoreRow) throws(SelectError) {
        idx.append(row.idx)
        ok.append(row.status == .ok)
        source.append(intern(source: row.imageSource))
        for c in scores.indices { scores[c].append(row.scores[c] ?? .nan) }
        styleSet.append(try styleSet(of: row.styles))
    }

    /// Few distinct style cells exist (combinations of 9 names), so each is parsed once.
    private mutating func styleSet(of cell: String) throws(SelectError) -> Int32 {
        if let set = parsedStyles[cell] { return set }
        var ids: [UInt8] = []
        for name in Styles.split(cell) {
            let id = try intern(style: name)
            if !ids.contains(id) { ids.append(id) }
        }
        let set: Int32
        if let known = setIndex[ids] { set = known } else {
            set = Int32(styleSets.count)
            styleSets.append(ids)
            setIndex[ids] = set
        }
        parsedStyles[cell] = set
        return set
    }

    /// Appends a batch of rows read by columns: its sources and styles cells are mapped to the store's once each.
    public mutating func append(_ batch: ScoreBatch) throws(SelectError) {
        let sources = batch.sourceNames.map { intern(source: $0) }
        var sets: [Int32] = []
        for cell in batch.styleCells { sets.append(try styleSet(of: cell)) }
        if idx.isEmpty, idx.capacity == 0 {
            // Nothing reserved for more batches: share the batch's buffers instead of copying them.
            idx = batch.idx
            ok = batch.ok
            scores = batch.scores
        } else {
            idx.append(contentsOf: batch.idx)
            ok.append(contentsOf: batch.ok)
            for c in scores.indices { scores[c].append(contentsOf: batch.scores[c]) }
        }
        source.reserveCapacity(source.count + batch.count)
        for s in batch.source { source.append(sources[Int(s)]) }
        styleSet.reserveCapacity(styleSet.count + batch.count)
        for s in batch.styles { styleSet.append(sets[Int(s)]) }
    }

    /// Replaces every row's source by its idx's in the pool ("" when the pool has no such item), for inputs
    /// that lack them (official folders). Names are interned in row order, as one row at a time would.
    public mutating func setSources(_ pool: PoolSources) {
        var ids = [Int32](repeating: -1, count: pool.names.count)
        var none: Int32?
        for r in idx.indices {
            if let k = pool.source(of: idx[r]) {
                if ids[k] < 0 { ids[k] = intern(source: pool.names[k]) }
                source[r] = ids[k]
            } else {
                if none == nil { none = intern(source: "") }
                source[r] = none!
            }
        }
    }

    public func styles(of row: Int) -> [UInt8] {
        styleSets[Int(styleSet[row])]
    }

    private mutating func intern(source name: String) -> Int32 {
        if let id = sourceIndex[name] { return id }
        let id = Int32(sourceNames.count)
        sourceNames.append(name)
        sourceIndex[name] = id
        return id
    }

    private mutating func intern(style name: String) throws(SelectError) -> UInt8 {
        if let id = styleIndex[name] { return id }
        guard styleNames.count < 255 else { throw .tooManyStyles(example: name) }
        let id = UInt8(styleNames.count)
        styleNames.append(name)
        styleIndex[name] = id
        return id
    }

    /// Loads a score table (Parquet, CSV, JSONL) reading only the columns selection needs.
    public static func load(table path: String) throws(SelectError) -> ScoreStore {
        var store = ScoreStore()
        do {
            let needed = Set(["idx", "status", "image_source", "styles"] + Capabilities.keys)
            let reader = try ScoreTable.reader(path: path, columns: needed)
            if let pq = reader as? ParquetTableReader {
                store.reserve(pq.rowCount)
                while let batch = try pq.nextBatch() { try store.append(batch) }
            } else {
                var batches = try (reader as? CSVTableReader)?.columns() ?? (reader as! JSONLTableReader).columns()
                // The first batch's columns become the store's (it has room for the others: `ScoreBatch.estimatedRows`);
                // each later batch is released once copied, so the table is held about once, not twice.
                store.reserveMapped(batches.reduce(0) { $0 + $1.count })
                for k in batches.indices {
                    try store.append(batches[k])
                    batches[k] = ScoreBatch()
                }
            }
        } catch let error as TableError {
            throw .table(error)
        } catch let error as SelectError {
            throw error
        } catch {
            throw .table(.io(path: path, reason: "\(error)"))
        }
        if let (idx, first, row) = store.firstRepeatedIdx() {
            throw .repeatedIdx(path: path, idx: idx, firstRow: first + 1, row: row + 1)
        }
        return store
    }

    /// The first row (in table order) whose idx an earlier row holds, with that earlier row. Selection and the
    /// subset are keyed by idx, so a repeat would be selected twice but written once.
    func firstRepeatedIdx() -> (idx: Int64, first: Int, row: Int)? {
        // Tables are normally in ascending idx: one pass proves there is no repeat.
        if zip(idx, idx.dropFirst()).allSatisfy({ $0 < $1 }) { return nil }
        var sorted = idx
        sorted.sort()
        var repeated: Set<Int64> = []
        for k in sorted.indices.dropFirst() where sorted[k] == sorted[k - 1] { repeated.insert(sorted[k]) }
        guard !repeated.isEmpty else { return nil }
        var firstRow: [Int64: Int] = [:]
        for (r, v) in idx.enumerated() where repeated.contains(v) {
            if let first = firstRow[v] { return (v, first, r) }
            firstRow[v] = r
        }
        return nil
    }
}
