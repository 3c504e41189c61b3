/// The checkpoint's line format: a header naming the run, then one JSON object per finished row with its pool
/// position and the score-table columns (the JSONL table's spelling, so floats round-trip exactly).
enum CheckpointCodec {
    static let version = 1

    static func header(fingerprint: String) -> String {
        "{\"mmssr_checkpoint\":\(version),\"run\":\(jsonString(fingerprint))}\n"
    }

    /// The fingerprint of a header line; nil if the line is not one.
    static func fingerprint(header line: ArraySlice<UInt8>) -> String? {
        guard let value = try? JSONParser.parseDocument(Array(line)),
              value["mmssr_checkpoint"]?.integerValue == Int64(version) else { return nil }
        return value["run"]?.stringValue
    }

    static func line(position: Int, row: ScoreRow) -> String {
        var out = "{\"position\":\(position),\"idx\":\(row.idx),\"id\":\(jsonString(row.id)),\"image\":\(jsonString(row.image)),"
        out += "\"image_source\":\(jsonString(row.imageSource)),\"status\":\"\(row.status.rawValue)\",\"error\":\(jsonString(row.error))"
        for (k, v) in zip(Capabilities.keys, row.scores) { out += ",\"\(k)\":\(v.flatMap(formatFloat) ?? "null")" }
        for (k, v) in zip(Styles.keys, row.styleLogits) { out += ",\"\(k)\":\(v.flatMap(formatFloat) ?? "null")" }
        out += ",\"styles\":\(jsonString(row.styles))"
        if !row.responses.isEmpty { out += ",\"responses\":[" + row.responses.map(jsonString).joined(separator: ",") + "]" }
        return out + "}\n"
    }

    /// Decodes a row line; the error is a one-line reason.
    static func row(_ line: ArraySlice<UInt8>) -> Result<(position: Int, row: ScoreRow), RowError> {
        var assembler = RowAssembler()
        var position: Int?
        var responses = [String]()
        var problem: String?
        let parsed: JSONParseError? = Array(line).withUnsafeBufferPointer { buf in
            var parser = JSONParser(buf)
            do throws(JSONParseError) {
                try parser.parseObject { (p, key) throws(JSONParseError) in
                    let value = try p.parseValue(depth: 1)
                    if key == "position" {
                        position = value.integerValue.flatMap { Int(exactly: $0) }
                        return
                    }
                    if key == "responses" {
                        let texts = value.arrayValue?.compactMap(\.stringValue)
                        if let texts, texts.count == value.arrayValue?.count {
                            responses = texts
                        } else if problem == nil {
                            problem = "responses is not an array of strings"
                        }
                        return
                    }
                    let field = RowAssembler.field(key)
                    if case .unknown = field { return }
                    if problem == nil { problem = assembler.set(field, json: value) }
                }
                try parser.expectEnd()
                return nil
            } catch {
                return error
            }
        }
        if let parsed { return .failure(RowError(reason: "bad JSON at column \(parsed.offset + 1): \(parsed.reason)")) }
        var (row, missing) = assembler.finish()
        row.responses = responses
        if let reason = problem ?? missing { return .failure(RowError(reason: reason)) }
        guard let position else { return .failure(RowError(reason: "missing integer position")) }
        return .success((position, row))
    }

    struct RowError: Error {
        let reason: String
    }
}
