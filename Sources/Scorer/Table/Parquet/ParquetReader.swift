/// Reads flat Parquet files: what `ParquetTableWriter` writes, and uncompressed files from other writers
/// (pyarrow with `compression='none'`), PLAIN or dictionary encoded, data pages v1 or v2.
/// Row groups are read one at a time, so memory is bounded by the largest row group.
public final class ParquetTableReader: ScoreTableReader {
    enum Column {
        case ints([Int64?])
        case floats([Float?])
        case strings([String?])
    }

    private struct Leaf {
        let name: String
        let type: ParquetPhysical
        let maxDefinition: Int
    }

    private let file: RandomAccessFile
    private let leaves: [Leaf]
    private let rowGroups: [[Int16: ThriftValue]]
    public let rowCount: Int
    private var group = 0
    private var columns: [String: Column] = [:]
    private var rowInGroup = 0
    private var idxColumn: [Int64?]?
    private var stringColumns: [[String?]?] = []
    private var capabilityColumns: [[Float?]?] = []
    private var styleColumns: [[Float?]?] = []
    private var rowsInGroup = 0

    public var path: String { file.path }

    /// Columns outside `columns` are skipped and read back as defaults ("" or null); nil reads all.
    private let wanted: Set<String>

    public init(path: String, columns: Set<String>? = nil) throws(TableError) {
        wanted = columns ?? Set(ScoreColumns.all)
        file = try RandomAccessFile(path: path)
        let size = file.size
        guard size >= 12 else { throw .malformed(path: path, location: "byte 0", reason: "too short for Parquet") }
        let head = try file.read(at: 0, count: 4)
        let tail = try file.read(at: size - 8, count: 8)
        guard head == ParquetMagic.bytes, Array(tail[4...]) == ParquetMagic.bytes else {
            throw .malformed(path: path, location: "byte 0", reason: "not a Parquet file (no PAR1 magic)")
        }
        let footerLength = Int(tail[0]) | Int(tail[1]) << 8 | Int(tail[2]) << 16 | Int(tail[3]) << 24
        let footerOffset = size - 8 - footerLength
        guard footerOffset >= 4 else {
            throw .malformed(path: path, location: "byte \(size - 8)", reason: "footer length \(footerLength) exceeds the file")
        }
        let footer = try file.read(at: footerOffset, count: footerLength)
        let meta: [Int16: ThriftValue]
        do {
            meta = try footer.withUnsafeBufferPointer { (buf) throws(ThriftReader.Failure) in
                var reader = ThriftReader(buf)
                return try reader.readStruct()
            }
        } catch {
            throw .malformed(path: path, location: "byte \(footerOffset)", reason: "bad footer: \(error.reason)")
        }
        guard let schema = meta[2]?.list, let root = schema.first?.fields else {
            throw .malformed(path: path, location: "footer", reason: "no schema")
        }
        guard Int(root[5]?.int ?? -1) == schema.count - 1 else {
            throw .malformed(path: path, location: "footer", reason: "nested schemas are not supported")
        }
        var leaves: [Leaf] = []
        for element in schema.dropFirst() {
            guard let f = element.fields, let name = f[4]?.string else {
                throw .malformed(path: path, location: "footer", reason: "bad schema element")
            }
            guard f[5] == nil, let raw = f[1]?.int, let type = Int32(exactly: raw).flatMap(ParquetPhysical.init(rawValue:)) else {
                throw .malformed(path: path, location: "footer", reason: "column '\(name)' is nested or untyped")
            }
            let repetition = f[3]?.int ?? 0
            guard repetition != 2 else {
                throw .malformed(path: path, location: "footer", reason: "column '\(name)' is repeated")
            }
            leaves.append(Leaf(name: name, type: type, maxDefinition: repetition == 1 ? 1 : 0))
        }
        self.leaves = leaves
        rowGroups = (meta[4]?.list ?? []).compactMap(\.fields)
        rowCount = Int(meta[3]?.int ?? 0)
        guard rowCount >= 0, rowCount <= 8 * file.size else {
            throw .malformed(path: path, location: "footer", reason: "claims \(rowCount) rows in a file of \(file.size) bytes")
        }
        for required in ["idx", "status"] where !leaves.contains(where: { $0.name == required }) {
            throw .missingColumn(path: path, column: required)
        }
    }

    public func next() throws(TableError) -> ScoreRow? {
        while rowInGroup >= rowsInGroup {
            guard group < rowGroups.count else { return nil }
            try load(group: group)
            group += 1
        }
        defer { rowInGroup += 1 }
        return row(rowInGroup)
    }

    /// The rows not read yet of the current row group, or else the next group's, as the columns selection
    /// reads (what `next()` would give, without a ScoreRow and its Strings per row); nil after the last.
    public func nextBatch() throws(TableError) -> ScoreBatch? {
        while rowInGroup >= rowsInGroup {
            guard group < rowGroups.count else { return nil }
            try load(group: group)
            group += 1
        }
        let rows = rowInGroup..<rowsInGroup
        rowInGroup = rowsInGroup
        var batch = ScoreBatch()
        batch.reserve(rows.count)
        batch.idx = idxColumn.map { Array($0[rows].lazy.map { $0 ?? 0 }) } ?? Array(repeating: 0, count: rows.count)
        for (c, column) in capabilityColumns.enumerated() {
            batch.scores[c] = column.map { Array($0[rows].lazy.map { $0 ?? .nan }) } ?? Array(repeating: .nan, count: rows.count)
        }
        let sources = stringColumns[2], status = stringColumns[3], styles = stringColumns[5]
        for i in rows {
            batch.ok.append(status?[i] == "ok")
            var source = sources?[i] ?? ""
            batch.source.append(source.withUTF8 { batch.sourceInterner.id(of: $0, names: &batch.sourceNames) })
            var cell = styles?[i] ?? ""
            batch.styles.append(cell.withUTF8 { batch.styleInterner.id(of: $0, names: &batch.styleCells) })
        }
        return batch
    }

    private func row(_ i: Int) -> ScoreRow {
        func string(_ k: Int) -> String { stringColumns[k]?[i] ?? "" }
        return ScoreRow(
            idx: idxColumn?[i] ?? 0, id: string(0), image: string(1), imageSource: string(2),
            status: string(3) == "ok" ? .ok : .error, error: string(4),
            scores: capabilityColumns.map { $0?[i] ?? nil }, styleLogits: styleColumns.map { $0?[i] ?? nil },
            styles: string(5))
    }

    /// Resolves the loaded group's columns by position once, so building a row does no name lookups.
    private func bindColumns() {
        func strings(_ name: String) -> [String?]? {
            if case let .strings(v)? = columns[name] { return v }
            return nil
        }
        func floats(_ name: String) -> [Float?]? {
            if case let .floats(v)? = columns[name] { return v }
            return nil
        }
        if case let .ints(v)? = columns["idx"] { idxColumn = v } else { idxColumn = nil }
        stringColumns = ["id", "image", "image_source", "status", "error", "styles"].map(strings)
        capabilityColumns = Capabilities.keys.map(floats)
        styleColumns = Styles.keys.map(floats)
    }

    private func malformed(_ column: String, _ reason: String) -> TableError {
        .malformed(path: path, location: "row group \(group), column \(column)", reason: reason)
    }

    private func load(group g: Int) throws(TableError) {
        let chunks = (rowGroups[g][1]?.list ?? []).compactMap(\.fields)
        guard chunks.count == leaves.count else { throw malformed("*", "has \(chunks.count) column chunks for \(leaves.count) columns") }
        rowsInGroup = Int(rowGroups[g][3]?.int ?? 0)
        // Each row takes at least a bit of the idx column, so a count beyond 8 per byte of the file is a lie that
        // would only size allocations (the footer's total is held to the same).
        guard rowsInGroup >= 0, rowsInGroup <= 8 * file.size else {
            throw malformed("*", "claims \(rowsInGroup) rows in a file of \(file.size) bytes")
        }
        rowInGroup = 0
        columns.removeAll(keepingCapacity: true)
        for (leaf, chunk) in zip(leaves, chunks) where wanted.contains(leaf.name) {
            guard let meta = chunk[3]?.fields else { throw malformed(leaf.name, "no column metadata") }
            let codec = meta[4]?.int ?? 0
            guard codec == 0 else {
                throw malformed(leaf.name, "is compressed (codec \(codec)); write it with compression='none'")
            }
            let dataOffset = Int(meta[9]?.int ?? 0)
            let start = meta[11]?.int.map(Int.init).flatMap { $0 > 0 ? $0 : nil } ?? dataOffset
            let length = Int(meta[7]?.int ?? 0)
            let bytes = try file.read(at: start, count: length)
            columns[leaf.name] = try decodeChunk(bytes, leaf: leaf, rows: rowsInGroup, chunkOffset: start)
        }
        bindColumns()
    }

    private func decodeChunk(_ bytes: [UInt8], leaf: Leaf, rows: Int, chunkOffset: Int) throws(TableError) -> Column {
        var ints: [Int64?] = []
        var floats: [Float?] = []
        var strings: [String?] = []
        var dictionary: Column?
        var produced = 0
        var p = 0
        let failure: String? = bytes.withUnsafeBufferPointer { buf -> String? in
            do throws(DecodeFailure) {
                while produced < rows {
                    guard p < buf.count else { throw DecodeFailure(reason: "column chunk ends after \(produced) of \(rows) values") }
                    var reader = ThriftReader(buf, offset: p)
                    let header: [Int16: ThriftValue]
                    do throws(ThriftReader.Failure) { header = try reader.readStruct() } catch { throw DecodeFailure(reason: "bad page header at byte \(chunkOffset + p): \(error.reason)") }
                    let type = header[1]?.int ?? -1
                    let size = Int(header[3]?.int ?? 0)
                    let body = reader.offset
                    guard size >= 0 else { throw DecodeFailure(reason: "page at byte \(chunkOffset + p) has size \(size)") }
                    guard body + size <= buf.count else { throw DecodeFailure(reason: "page at byte \(chunkOffset + p) overruns the chunk") }
                    p = body + size
                    switch type {
                    case ParquetPageType.dictionary:
                        let n = Int(header[7]?.fields?[1]?.int ?? 0)
                        // Every PLAIN value takes at least one byte.
                        guard n >= 0, n <= size else { throw DecodeFailure(reason: "dictionary page claims \(n) values in \(size) bytes") }
                        dictionary = try Self.plain(buf, body..<body + size, type: leaf.type, count: n)
                    case ParquetPageType.data, ParquetPageType.dataV2:
                        let v2 = type == ParquetPageType.dataV2
                        guard let h = header[v2 ? 8 : 5]?.fields else { throw DecodeFailure(reason: "data page without header") }
                        let n = Int(h[1]?.int ?? 0)
                        guard n >= 0, n <= rows - produced else {
                            throw DecodeFailure(reason: "data page claims \(n) values with \(rows - produced) rows left")
                        }
                        let encoding = Int32(truncatingIfNeeded: h[v2 ? 4 : 2]?.int ?? 0)
                        var q = body
                        var defined = [Bool](repeating: true, count: n)
                        if leaf.maxDefinition > 0 {
                            let levelBytes: Int
                            if v2 { levelBytes = Int(h[5]?.int ?? 0) } else {
                                guard q + 4 <= p else { throw DecodeFailure(reason: "truncated definition levels") }
                                levelBytes = Int(buf[q]) | Int(buf[q + 1]) << 8 | Int(buf[q + 2]) << 16 | Int(buf[q + 3]) << 24
                                q += 4
                            }
                            guard levelBytes >= 0, q + levelBytes <= p else { throw DecodeFailure(reason: "definition levels overrun the page") }
                            let levels: [UInt32]
                            do throws(RLEHybrid.Failure) { levels = try RLEHybrid.decode(buf, range: q..<q + levelBytes, bitWidth: 1, count: n) } catch {
                                throw DecodeFailure(reason: error.reason)
                            }
                            defined = levels.map { $0 == 1 }
                            q += levelBytes
                        }
                        if v2 {
                            let repetitionBytes = Int(h[6]?.int ?? 0)
                            guard repetitionBytes >= 0, q + repetitionBytes <= p else { throw DecodeFailure(reason: "repetition levels overrun the page") }
                            q += repetitionBytes
                        }
                        let present = defined.reduce(0) { $0 + ($1 ? 1 : 0) }
                        let values: Column
                        switch encoding {
                        case ParquetEncoding.plain:
                            values = try Self.plain(buf, q..<p, type: leaf.type, count: present)
                        case ParquetEncoding.plainDictionary, ParquetEncoding.rleDictionary:
                            guard let dictionary else { throw DecodeFailure(reason: "dictionary page missing") }
                            guard q < p else { throw DecodeFailure(reason: "empty dictionary indices") }
                            let indices: [UInt32]
                            do throws(RLEHybrid.Failure) { indices = try RLEHybrid.decode(buf, range: q + 1..<p, bitWidth: Int(buf[q]), count: present) } catch {
                                throw DecodeFailure(reason: error.reason)
                            }
                            values = try Self.gather(dictionary, indices)
                        default:
                            throw DecodeFailure(reason: "unsupported encoding \(encoding)")
                        }
                        Self.scatter(values, defined, ints: &ints, floats: &floats, strings: &strings)
                        produced += n
                    default:
                        continue
                    }
                }
                return nil
            } catch {
                return error.reason
            }
        }
        if let failure { throw malformed(leaf.name, failure) }
        switch leaf.type {
        case .int32, .int64: return .ints(ints)
        case .float, .double: return .floats(floats)
        default: return .strings(strings)
        }
    }

    struct DecodeFailure: Error { let reason: String }

    private static func plain(_ buf: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, type: ParquetPhysical, count: Int) throws(DecodeFailure) -> Column {
        var q = range.lowerBound
        func need(_ n: Int) throws(DecodeFailure) {
            guard q + n <= range.upperBound else { throw DecodeFailure(reason: "page values truncated") }
        }
        func le(_ n: Int) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<n { v |= UInt64(buf[q + i]) << (8 * UInt64(i)) }
            q += n
            return v
        }
        switch type {
        case .int32:
            try need(4 * count)
            return .ints((0..<count).map { _ in Int64(Int32(bitPattern: UInt32(le(4)))) })
        case .int64:
            try need(8 * count)
            return .ints((0..<count).map { _ in Int64(bitPattern: le(8)) })
        case .float:
            try need(4 * count)
            return .floats((0..<count).map { _ in Float(bitPattern: UInt32(le(4))) })
        case .double:
            try need(8 * count)
            return .floats((0..<count).map { _ in Float(Double(bitPattern: le(8))) })
        case .byteArray:
            var out: [String?] = []
            out.reserveCapacity(count)
            for _ in 0..<count {
                try need(4)
                let n = Int(le(4))
                try need(n)
                out.append(String(decoding: UnsafeBufferPointer(rebasing: buf[q..<q + n]), as: UTF8.self))
                q += n
            }
            return .strings(out)
        default:
            throw DecodeFailure(reason: "unsupported physical type \(type)")
        }
    }

    private static func gather(_ dictionary: Column, _ indices: [UInt32]) throws(DecodeFailure) -> Column {
        func pick<T>(_ d: [T]) throws(DecodeFailure) -> [T] {
            var out: [T] = []
            out.reserveCapacity(indices.count)
            for i in indices {
                guard Int(i) < d.count else { throw DecodeFailure(reason: "dictionary index \(i) out of range") }
                out.append(d[Int(i)])
            }
            return out
        }
        switch dictionary {
        case let .ints(d): return .ints(try pick(d))
        case let .floats(d): return .floats(try pick(d))
        case let .strings(d): return .strings(try pick(d))
        }
    }

    private static func scatter(_ values: Column, _ defined: [Bool], ints: inout [Int64?], floats: inout [Float?], strings: inout [String?]) {
        func spread<T>(_ v: [T?], _ out: inout [T?]) {
            var k = 0
            for d in defined {
                if d { out.append(v[k]); k += 1 } else { out.append(nil) }
            }
        }
        switch values {
        case let .ints(v): spread(v, &ints)
        case let .floats(v): spread(v, &floats)
        case let .strings(v): spread(v, &strings)
        }
    }
}
