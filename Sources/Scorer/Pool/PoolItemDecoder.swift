/// Turns the bytes of one pool item into a `PoolItem`, never throwing: problems become `parseError`.
enum PoolItemDecoder {
    private struct Invalid: Error { let message: String }

    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, position: Int, byteOffset: Int, keepRaw: Bool,
        conversations wantConversations: Bool, errorPrefix: (Int) -> String
    ) -> PoolItem {
        var item = PoolItem(
            position: position, byteOffset: byteOffset, byteLength: bytes.count, idx: position,
            raw: keepRaw ? Array(bytes) : nil)
        var parser = JSONParser(bytes)
        var explicitSource: String?
        var sawConversations = false
        do throws(JSONParseError) {
            guard parser.peek() == UInt8(ascii: "{") else {
                item.parseError = "\(errorPrefix(byteOffset + parser.offset)): item is not a JSON object"
                return item
            }
            var fieldError: String?
            try parser.parseObject { (p, key) throws(JSONParseError) in
                switch key {
                case "idx":
                    let v = try p.parseValue(depth: 1)
                    if let i = v.integerValue, let n = Int(exactly: i) { item.idx = n } else if v != .null {
                        fieldError = fieldError ?? "idx is not an integer"
                    }
                case "id":
                    switch try p.parseValue(depth: 1) {
                    case let .string(s): item.id = s
                    case let .number(_, integer?): item.id = String(integer)
                    case .null: break
                    default: fieldError = fieldError ?? "id is not a string"
                    }
                case "image":
                    switch try p.parseValue(depth: 1) {
                    case let .string(s): item.images = s.isEmpty ? [] : [s]
                    case let .array(list):
                        let paths = list.compactMap(\.stringValue)
                        if paths.count == list.count { item.images = paths } else {
                            fieldError = fieldError ?? "image list holds a non-string"
                        }
                    case .null: break
                    default: fieldError = fieldError ?? "image is neither a string nor a list"
                    }
                case "image_source":
                    switch try p.parseValue(depth: 1) {
                    case let .string(s): explicitSource = s
                    case .null: break
                    default: fieldError = fieldError ?? "image_source is not a string"
                    }
                case "conversations" where wantConversations:
                    sawConversations = true
                    let v = try p.parseValue(depth: 1)
                    do throws(Invalid) { item.conversations = try turns(v) } catch { fieldError = fieldError ?? error.message }
                case "conversations":
                    sawConversations = true
                    try p.skipValue(depth: 1)
                default:
                    try p.skipValue(depth: 1)
                }
            }
            try parser.expectEnd()
            if let fieldError {
                item.parseError = "item at byte \(byteOffset): \(fieldError)"
            } else if !sawConversations {
                item.parseError = "item at byte \(byteOffset): missing conversations"
            }
        } catch {
            item.parseError = "\(errorPrefix(byteOffset + error.offset)): \(error.reason)"
        }
        item.imageSource = explicitSource ?? PoolItem.defaultImageSource(images: item.images)
        return item
    }

    private static func turns(_ value: JSONValue) throws(Invalid) -> [Turn] {
        guard case let .array(list) = value else { throw Invalid(message: "conversations is not a list") }
        var out: [Turn] = []
        out.reserveCapacity(list.count)
        for (i, t) in list.enumerated() {
            guard let from = t["from"]?.stringValue, let text = t["value"]?.stringValue else {
                throw Invalid(message: "conversation turn \(i) lacks string 'from' and 'value'")
            }
            out.append(Turn(from: from, value: text))
        }
        return out
    }
}
