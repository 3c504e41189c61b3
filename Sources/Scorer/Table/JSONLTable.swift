/// One JSON object per line, keys in `ScoreColumns.all` order, null for missing scores.
public final class JSONLTableWriter: ScoreTableWriter {
    private let sink: ByteSink

    public init(path: String) throws(TableError) {
        sink = try ByteSink(path: path)
    }

    public func write(_ row: ScoreRow) throws(TableError) {
        var out = "{\"idx\":\(row.idx),\"id\":\(jsonString(row.id)),\"image\":\(jsonString(row.image)),"
        out += "\"image_source\":\(jsonString(row.imageSource)),\"status\":\"\(row.status.rawValue)\",\"error\":\(jsonString(row.error))"
        for (k, v) in zip(Capabilities.keys, row.scores) { out += ",\"\(k)\":\(v.flatMap(formatFloat) ?? "null")" }
        for (k, v) in zip(Styles.keys, row.styleLogits) { out += ",\"\(k)\":\(v.flatMap(formatFloat) ?? "null")" }
        out += ",\"styles\":\(jsonString(row.styles))}\n"
        try sink.write(out)
    }

    public func finish() throws(TableError) { try sink.close() }
}

/// Reads a JSONL score table from a memory map: `next()` gives whole rows, `columns()` what selection needs,
/// parsed from the bytes on all cores. A line the byte-level path is not sure of (escapes, non-ASCII text,
/// nested values, anything malformed) goes to the same `JSONParser` path as `next()`, so both read every file
/// alike, with the same messages.
public final class JSONLTableReader: ScoreTableReader {
    private let text: MappedText
    private var cursor = 0
    private var line = 0
    private var released = 0

    public init(path: String) throws(TableError) {
        text = try MappedText(path: path)
    }

    public func next() throws(TableError) -> ScoreRow? {
        while cursor < text.count {
            let (end, next) = text.line(at: cursor)
            let start = cursor
            cursor = next
            line += 1
            if cursor - released > MappedText.releaseEvery { text.release(released, cursor); released = cursor }
            if Self.isBlank(text.base, start, end) { continue }
            return try Self.row(text, start, end, line: line)
        }
        return nil
    }

    /// The whole table as column batches in file order (`pieces` and `minimumPiece` for tests).
    public func columns(pieces: Int? = nil, minimumPiece: Int = 4 << 20) throws(TableError) -> [ScoreBatch] {
        let text = self.text
        let cuts = text.cuts(from: 0, pieces: pieces, minimumPiece: minimumPiece)
        if cuts.count > 2, let pieces = text.parallel(cuts, { (from, to) throws(TableError) in
            try Self.columns(text, from: from, to: to, lineBase: 0, roomTo: from == cuts[0] ? text.count : to)
        }) {
            return pieces
        }
        return [try Self.columns(text, from: 0, to: text.count, lineBase: 0, roomTo: text.count).0]
    }

    @inline(__always)
    private static func isBlank(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var i = start
        while i < end, base[i] == 0x20 || base[i] == 0x09 { i += 1 }
        return i == end
    }

    private static func row(_ text: MappedText, _ start: Int, _ end: Int, line: Int) throws(TableError) -> ScoreRow {
        var assembler = RowAssembler()
        var problem: String?
        let buf = UnsafeBufferPointer(start: text.base + start, count: end - start)
        var parser = JSONParser(buf)
        do throws(JSONParseError) {
            try parser.parseObject { (p, key) throws(JSONParseError) in
                let field = RowAssembler.field(key)
                if case .unknown = field { try p.skipValue(depth: 1); return }
                let value = try p.parseValue(depth: 1)
                if problem == nil { problem = assembler.set(field, json: value) }
            }
            try parser.expectEnd()
        } catch {
            throw .malformed(path: text.path, location: "line \(line)", reason: "bad JSON at column \(error.offset + 1): \(error.reason)")
        }
        let (row, missing) = assembler.finish()
        if let p = problem ?? missing { throw .malformed(path: text.path, location: "line \(line)", reason: p) }
        return row
    }

    /// The rows of the lines starting in [from, to) as a batch with room for those up to `roomTo`
    /// (`ScoreBatch.estimatedRows`), and where the next line starts.
    private static func columns(_ text: MappedText, from: Int, to: Int, lineBase: Int, roomTo: Int) throws(TableError) -> (ScoreBatch, stop: Int) {
        var batch = ScoreBatch()
        var scratch = RowScratch()
        var pos = from
        var line = lineBase
        var released = from
        let keys = KeyNames()
        let base = text.base, limit = text.count
        while pos < to {
            if let next = fastRow(base, pos, limit, keys, &scratch, &batch) {
                if batch.count == 0, scratch.pending == 0 { batch.reserve(ScoreBatch.estimatedRows(from: from, to: roomTo, firstRow: next - pos)) }
                scratch.append(to: &batch)
                line += 1
                pos = next
            } else {
                scratch.reset()
                let (end, next) = text.line(at: pos)
                line += 1
                if !isBlank(base, pos, end) {
                    scratch.flush(to: &batch)
                    batch.append(try row(text, pos, end, line: line))
                }
                pos = next
            }
            if pos - released > MappedText.releaseEvery { text.release(released, pos); released = pos }
        }
        scratch.flush(to: &batch)
        return (batch, pos)
    }

    /// One flat object of plain members (ASCII strings without escapes, JSON numbers, null, true, false) on the
    /// line at `start`, read into `scratch`: the start of the next line, or nil for anything else, left to the
    /// text path. The line's end is not looked for first: the object's bytes are walked once, then a line feed
    /// (or the end of the file) must follow it.
    @inline(__always)
    private static func fastRow(
        _ base: UnsafePointer<UInt8>, _ start: Int, _ limit: Int, _ keys: borrowing KeyNames,
        _ scratch: inout RowScratch, _ batch: inout ScoreBatch
    ) -> Int? {
        var s = JSONBytesScanner(base: base, i: start, end: limit)
        // Writers put the keys in one order (ours in `ScoreColumns.all`'s): the key after column k is first
        // compared with column k + 1, and hashed only when it is another one.
        var next = 0
        var sawIdx = false, sawStatus = false
        guard s.take(UInt8(ascii: "{")) else { return nil }
        if s.take(UInt8(ascii: "}")) { return nil }
        while true {
            guard let key = s.plainString() else { return nil }
            guard s.take(UInt8(ascii: ":")) else { return nil }
            let field: RowAssembler.Field
            if keys.isName(next, base + key.lowerBound, key.count) {
                field = keys.fields[next]
                next += 1
            } else if let k = keys.interner.lookup(UnsafeBufferPointer(start: base + key.lowerBound, count: key.count)) {
                field = keys.fields[Int(k)]
                next = Int(k) + 1
            } else {
                field = .unknown
            }
            // Score members are read as their digits are walked; anything else as a scalar.
            if case let .capability(c) = field, let v = s.decimal() {
                scratch.setScore(c, v)
            } else if case .style = field, s.skipDecimal() {
            } else {
                guard let value = s.scalar() else { return nil }
                switch (field, value) {
                case let (.idx, .number(r, integer)):
                    guard integer, let v = DecimalBytes.int64(base + r.lowerBound, r.count) else { return nil }
                    scratch.idx = v
                    sawIdx = true
                case let (.status, .string(r)):
                    guard let ok = statusCell(base + r.lowerBound, r.count) else { return nil }
                    scratch.ok = ok
                    sawStatus = true
                case let (.imageSource, .string(r)):
                    scratch.source = batch.sourceInterner.id(of: UnsafeBufferPointer(start: base + r.lowerBound, count: r.count), names: &batch.sourceNames)
                case (.imageSource, .null):
                    scratch.source = -1
                case let (.styles, .string(r)):
                    scratch.styles = batch.styleInterner.id(of: UnsafeBufferPointer(start: base + r.lowerBound, count: r.count), names: &batch.styleCells)
                case (.styles, .null):
                    scratch.styles = -1
                case let (.capability(c), .number(r, _)):
                    guard let v = DecimalBytes.float(base + r.lowerBound, r.count) else { return nil }
                    scratch.setScore(c, v)
                case (.capability(let c), .null):
                    scratch.setScore(c, .nan)
                case let (.style, .number(r, _)):
                    guard DecimalBytes.isFloat(base + r.lowerBound, r.count) else { return nil }
                case (.style, .null), (.id, _), (.image, _), (.error, _), (.unknown, _):
                    break
                default:
                    return nil
                }
            }
            if s.take(UInt8(ascii: ",")) { continue }
            guard s.take(UInt8(ascii: "}")) else { return nil }
            s.skipSpace()
            guard sawIdx, sawStatus else { return nil }
            if s.i == limit { return limit }
            return base[s.i] == 0x0A ? s.i + 1 : nil
        }
    }
}

/// The table's column names as the byte-level JSONL path matches keys: the id of a key's bytes indexes
/// `ScoreColumns.all`, and the names end to end for comparing a key with the one expected next.
struct KeyNames: ~Copyable {
    let interner: ByteInterner
    let fields: [RowAssembler.Field]
    private let bytes: UnsafeMutablePointer<UInt8>
    private let starts: [Int]

    init() {
        var interner = ByteInterner()
        var names: [String] = []
        for var name in ScoreColumns.all { _ = name.withUTF8 { interner.id(of: $0, names: &names) } }
        self.interner = interner
        fields = ScoreColumns.all.map(RowAssembler.field)
        let utf8 = ScoreColumns.all.map { Array($0.utf8) }
        starts = utf8.reduce(into: [0]) { $0.append($0.last! + $1.count) }
        bytes = .allocate(capacity: starts.last!)
        for (k, name) in utf8.enumerated() { (bytes + starts[k]).update(from: name, count: name.count) }
    }

    deinit { bytes.deallocate() }

    /// Whether column `k` (if there is one) is named by the `count` bytes at `key`.
    @inline(__always)
    func isName(_ k: Int, _ key: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        guard k + 1 < starts.count, starts[k + 1] - starts[k] == count else { return false }
        return ByteScan.equal(bytes + starts[k], key, count)
    }
}

/// Byte-level reading of the plain JSON the text readers see on almost every line; each step returns nil or
/// false, without moving on, where the text is anything else (the caller then takes the `JSONParser` path).
struct JSONBytesScanner {
    enum Scalar { case string(Range<Int>), number(Range<Int>, integer: Bool), null, literal }

    let base: UnsafePointer<UInt8>
    var i: Int
    let end: Int

    /// JSON whitespace but the line feed: a scanner may run to the end of the file, and a row is one line.
    @inline(__always)
    mutating func skipSpace() {
        while i < end, base[i] == 0x20 || base[i] == 0x09 || base[i] == 0x0D { i += 1 }
    }

    @inline(__always)
    mutating func take(_ byte: UInt8) -> Bool {
        skipSpace()
        guard i < end, base[i] == byte else { return false }
        i += 1
        return true
    }

    /// A string of printable ASCII without escapes: the range of its contents.
    @inline(__always)
    mutating func plainString() -> Range<Int>? {
        skipSpace()
        guard i < end, base[i] == 0x22 else { return nil }
        let start = i + 1
        let j = ByteScan.firstNotPlain(base, from: start, end: end)
        guard j < end, base[j] == 0x22 else { return nil }
        i = j + 1
        return start..<j
    }

    /// A JSON number `DecimalBytes.float` reads, read where it stands; nil (nothing consumed) for anything
    /// else, which `scalar` then reads.
    @inline(__always)
    mutating func decimal() -> Float? {
        guard plainNumberStarts(), let (v, length) = DecimalBytes.floatPrefix(base + i, end - i) else { return nil }
        i += length
        return v
    }

    /// As `decimal`, for a number that is only validated.
    @inline(__always)
    mutating func skipDecimal() -> Bool {
        guard plainNumberStarts(), let length = DecimalBytes.floatPrefixLength(base + i, end - i) else { return false }
        i += length
        return true
    }

    /// A number starts here without a leading zero before another digit (JSON forbids "01"; the decimal
    /// reader would take it).
    @inline(__always)
    private mutating func plainNumberStarts() -> Bool {
        skipSpace()
        guard i < end else { return false }
        let j = base[i] == UInt8(ascii: "-") ? i + 1 : i
        guard j < end, base[j] &- 0x30 < 10 else { return false }
        return base[j] != UInt8(ascii: "0") || j + 1 == end || base[j + 1] &- 0x30 >= 10
    }

    @inline(__always)
    mutating func scalar() -> Scalar? {
        skipSpace()
        guard i < end else { return nil }
        switch base[i] {
        case 0x22:
            return plainString().map { .string($0) }
        case UInt8(ascii: "n"): return word("null") ? .null : nil
        case UInt8(ascii: "t"): return word("true") ? .literal : nil
        case UInt8(ascii: "f"): return word("false") ? .literal : nil
        default: return number()
        }
    }

    @inline(__always)
    private mutating func word(_ w: StaticString) -> Bool {
        let n = w.utf8CodeUnitCount
        guard end - i >= n else { return false }
        for k in 0..<n where base[i + k] != w.utf8Start[k] { return false }
        i += n
        return true
    }

    /// RFC 8259's number grammar, exactly.
    @inline(__always)
    private mutating func number() -> Scalar? {
        let start = i
        var j = i
        @inline(__always) func digits() -> Bool {
            let from = j
            while j < end, base[j] &- 0x30 < 10 { j += 1 }
            return j > from
        }
        if j < end, base[j] == UInt8(ascii: "-") { j += 1 }
        guard j < end, base[j] &- 0x30 < 10 else { return nil }
        if base[j] == UInt8(ascii: "0") { j += 1 } else { _ = digits() }
        var integer = true
        if j < end, base[j] == UInt8(ascii: ".") {
            integer = false
            j += 1
            guard digits() else { return nil }
        }
        if j < end, base[j] | 0x20 == UInt8(ascii: "e") {
            integer = false
            j += 1
            if j < end, base[j] == UInt8(ascii: "+") || base[j] == UInt8(ascii: "-") { j += 1 }
            guard digits() else { return nil }
        }
        i = j
        return .number(start..<j, integer: integer)
    }
}

/// A JSON string literal; escapes what RFC 8259 requires and leaves other Unicode as UTF-8.
public func jsonString(_ s: String) -> String {
    var out = "\""
    out.reserveCapacity(s.utf8.count + 2)
    for scalar in s.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 {
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
