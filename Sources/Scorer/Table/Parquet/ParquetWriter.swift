/// Writes the score table as Parquet: flat schema, PLAIN encoding, uncompressed, one data page per column
/// chunk, a row group every `rowGroupSize` rows so memory stays bounded while streaming.
///
/// No Parquet library exists for Swift, so the format is written directly; pyarrow and duckdb read the
/// result (see tools/check_parquet.py).
public final class ParquetTableWriter: ScoreTableWriter {
    private struct ChunkInfo {
        var column: Int
        var offset: Int
        var size: Int
        var numValues: Int
    }

    private let sink: ByteSink
    private let rowGroupSize: Int
    private var rows: [ScoreRow] = []
    private var rowGroups: [(chunks: [ChunkInfo], rows: Int)] = []
    private var totalRows = 0
    private var finished = false

    public init(path: String, rowGroupSize: Int = 65_536) throws(TableError) {
        sink = try ByteSink(path: path)
        self.rowGroupSize = rowGroupSize
        try sink.write(ParquetMagic.bytes)
    }

    public func write(_ row: ScoreRow) throws(TableError) {
        rows.append(row)
        if rows.count >= rowGroupSize { try flushRowGroup() }
    }

    public func finish() throws(TableError) {
        guard !finished else { return }
        finished = true
        if !rows.isEmpty { try flushRowGroup() }
        let footer = fileMetadata()
        try sink.write(footer)
        let n = UInt32(footer.count)
        try sink.write([UInt8(n & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 24)])
        try sink.write(ParquetMagic.bytes)
        try sink.close()
    }

    private static var columnCount: Int { ScoreColumns.all.count }

    private func flushRowGroup() throws(TableError) {
        var chunks: [ChunkInfo] = []
        for column in 0..<Self.columnCount {
            var values: [UInt8] = []
            var levels: [Bool]?
            switch column {
            case 0:
                values.reserveCapacity(rows.count * 8)
                for r in rows { appendLE(UInt64(bitPattern: r.idx), bytes: 8, to: &values) }
            case 1...5:
                for r in rows {
                    let s: String
                    switch column {
                    case 1: s = r.id
                    case 2: s = r.image
                    case 3: s = r.imageSource
                    case 4: s = r.status.rawValue
                    default: s = r.error
                    }
                    appendString(s, to: &values)
                }
            case Self.columnCount - 1:
                for r in rows { appendString(r.styles, to: &values) }
            default:
                let k = column - ScoreColumns.leading.count
                var defined: [Bool] = []
                defined.reserveCapacity(rows.count)
                for r in rows {
                    let v = k < Capabilities.keys.count ? r.scores[k] : r.styleLogits[k - Capabilities.keys.count]
                    defined.append(v != nil)
                    if let v { appendLE(UInt64(v.bitPattern), bytes: 4, to: &values) }
                }
                levels = defined
            }
            var page: [UInt8] = []
            if let levels {
                var encoded: [UInt8] = []
                RLEHybrid.encodeBits(levels, into: &encoded)
                appendLE(UInt64(encoded.count), bytes: 4, to: &page)
                page += encoded
            }
            page += values
            guard page.count < Int32.max else {
                throw .io(path: sink.path, reason: "column \(ScoreColumns.all[column]) too large for one page")
            }
            var header = ThriftWriter()
            header.i32(1, Int32(ParquetPageType.data))
            header.i32(2, Int32(page.count))
            header.i32(3, Int32(page.count))
            header.structBegin(5)
            header.i32(1, Int32(rows.count))
            header.i32(2, ParquetEncoding.plain)
            header.i32(3, ParquetEncoding.rle)
            header.i32(4, ParquetEncoding.rle)
            header.structEnd()
            header.structEnd()
            let offset = sink.offset
            try sink.write(header.bytes)
            try sink.write(page)
            chunks.append(ChunkInfo(column: column, offset: offset, size: header.bytes.count + page.count, numValues: rows.count))
        }
        rowGroups.append((chunks, rows.count))
        totalRows += rows.count
        rows.removeAll(keepingCapacity: true)
    }

    private static func physical(_ column: Int) -> ParquetPhysical {
        if column == 0 { return .int64 }
        if column < ScoreColumns.leading.count || column == columnCount - 1 { return .byteArray }
        return .float
    }

    private func fileMetadata() -> [UInt8] {
        var w = ThriftWriter()
        w.i32(1, 1)
        w.listBegin(2, .structure, count: Self.columnCount + 1)
        w.elementBegin()
        w.string(4, "schema")
        w.i32(5, Int32(Self.columnCount))
        w.structEnd()
        for (c, name) in ScoreColumns.all.enumerated() {
            let type = Self.physical(c)
            w.elementBegin()
            w.i32(1, type.rawValue)
            w.i32(3, type == .float ? 1 : 0)
            w.string(4, name)
            if type == .byteArray {
                w.i32(6, 0)
                w.structBegin(10)
                w.structBegin(1)
                w.structEnd()
                w.structEnd()
            }
            w.structEnd()
        }
        w.i64(3, Int64(totalRows))
        w.listBegin(4, .structure, count: rowGroups.count)
        for group in rowGroups {
            w.elementBegin()
            w.listBegin(1, .structure, count: group.chunks.count)
            for chunk in group.chunks {
                w.elementBegin()
                w.i64(2, Int64(chunk.offset))
                w.structBegin(3)
                w.i32(1, Self.physical(chunk.column).rawValue)
                w.listI32(2, [ParquetEncoding.plain, ParquetEncoding.rle])
                w.listString(3, [ScoreColumns.all[chunk.column]])
                w.i32(4, 0)
                w.i64(5, Int64(chunk.numValues))
                w.i64(6, Int64(chunk.size))
                w.i64(7, Int64(chunk.size))
                w.i64(9, Int64(chunk.offset))
                w.structEnd()
                w.structEnd()
            }
            w.i64(2, Int64(group.chunks.reduce(0) { $0 + $1.size }))
            w.i64(3, Int64(group.rows))
            w.structEnd()
        }
        w.string(6, "mmssr")
        w.structEnd()
        return w.bytes
    }
}

@inline(__always)
func appendLE(_ v: UInt64, bytes n: Int, to out: inout [UInt8]) {
    for i in 0..<n { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
}

@inline(__always)
private func appendString(_ s: String, to out: inout [UInt8]) {
    var s = s
    s.withUTF8 { utf8 in
        appendLE(UInt64(utf8.count), bytes: 4, to: &out)
        out.append(contentsOf: utf8)
    }
}
