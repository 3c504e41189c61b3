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

public final class JSONLTableReader: ScoreTableReader {
    private let lines: LineReader

    public init(path: String) throws(TableError) {
        lines = try LineReader(path: path)
    }

    public func next() throws(TableError) -> ScoreRow? {
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let lineNumber = lines.lineNumber
            var assembler = RowAssembler()
            var problem: String?
            let parsed: JSONParseError? = Array(line).withUnsafeBufferPointer { buf in
                var parser = JSONParser(buf)
                do throws(JSONParseError) {
                    try parser.parseObject { (p, key) throws(JSONParseError) in
                        let field = RowAssembler.field(key)
                        if case .unknown = field { try p.skipValue(depth: 1); return }
                        let text: String?
                        switch try p.parseValue(depth: 1) {
                        case .null: text = nil
                        case let .string(s): text = s
                        case let .number(d, integer): text = integer.map(String.init) ?? String(d)
                        default: text = "?"
                        }
                        if problem == nil { problem = assembler.set(field, text: text) }
                    }
                    try parser.expectEnd()
                    return nil
                } catch {
                    return error
                }
            }
            if let parsed {
                throw .malformed(path: lines.path, location: "line \(lineNumber)", reason: "bad JSON at column \(parsed.offset + 1): \(parsed.reason)")
            }
            let (row, missing) = assembler.finish()
            if let p = problem ?? missing { throw .malformed(path: lines.path, location: "line \(lineNumber)", reason: p) }
            return row
        }
        return nil
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
