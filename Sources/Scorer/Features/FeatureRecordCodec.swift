/// A features file's row record: one JSON line with the item's columns, then, for an ok row only,
/// `featureCount` little-endian float32 values. The line holds no raw newline (JSON escapes them), so the
/// record boundary is the first newline plus the payload.
enum FeatureRecordCodec {
    static func encode(_ row: FeatureRow, into out: inout [UInt8]) {
        var line = "{\"position\":\(row.position),\"idx\":\(row.idx),\"id\":\(jsonString(row.id)),\"image\":\(jsonString(row.image)),"
        line += "\"image_source\":\(jsonString(row.imageSource)),\"status\":\"\(row.isOK ? "ok" : "error")\",\"error\":\(jsonString(row.error))}\n"
        out += line.utf8
        if let values = row.values {
            values.withUnsafeBytes { out += $0 }  // every supported host is little-endian
        }
    }

    enum Decoded {
        case row(FeatureRow, end: Int)
        /// The record runs past the bytes available.
        case incomplete
        case malformed(FeatureFileError.Reason)
    }

    /// Decodes the record starting at `start` of `bytes`.
    static func decode(_ bytes: [UInt8], from start: Int, featureCount: Int) -> Decoded {
        guard let newline = bytes[start...].firstIndex(of: 0x0A) else { return .incomplete }
        guard let meta = try? JSONParser.parseDocument(Array(bytes[start..<newline])),
              let position = meta["position"]?.integerValue.flatMap({ Int(exactly: $0) }),
              let idx = meta["idx"]?.integerValue, let status = meta["status"]?.stringValue else {
            return .malformed("record line is not {position, idx, status, ...} JSON")
        }
        var row = FeatureRow(position: position, idx: idx, id: meta["id"]?.stringValue ?? "",
                             image: meta["image"]?.stringValue ?? "", imageSource: meta["image_source"]?.stringValue ?? "",
                             values: nil, error: meta["error"]?.stringValue ?? "")
        switch status {
        case "error":
            return .row(row, end: newline + 1)
        case "ok":
            let payload = featureCount * MemoryLayout<Float>.size, from = newline + 1
            guard bytes.count - from >= payload else { return .incomplete }
            row.values = bytes[from..<(from + payload)].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            return .row(row, end: from + payload)
        default:
            return .malformed("status must be ok or error, got \(jsonString(status))")
        }
    }
}
