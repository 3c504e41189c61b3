/// The subset of Thrift's compact protocol that Parquet footers and page headers need.
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

struct ThriftWriter {
    private(set) var bytes: [UInt8] = []
    private var lastField: [Int16] = [0]

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }

    private mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    private mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = id - lastField[lastField.count - 1]
        if delta > 0 && delta <= 15 {
            bytes.append(UInt8(delta) << 4 | type.rawValue)
        } else {
            bytes.append(type.rawValue)
            zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func i32(_ id: Int16, _ v: Int32) { fieldHeader(id, .i32); zigzag(Int64(v)) }
    mutating func i64(_ id: Int16, _ v: Int64) { fieldHeader(id, .i64); zigzag(v) }
    mutating func bool(_ id: Int16, _ v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }
    mutating func string(_ id: Int16, _ s: String) { fieldHeader(id, .binary); rawBinary(Array(s.utf8)) }

    private mutating func rawBinary(_ b: [UInt8]) { varint(UInt64(b.count)); bytes.append(contentsOf: b) }

    mutating func structBegin(_ id: Int16) { fieldHeader(id, .structure); lastField.append(0) }
    /// Starts a struct that is an element of a list (no field header).
    mutating func elementBegin() { lastField.append(0) }
    mutating func structEnd() { bytes.append(ThriftType.stop.rawValue); lastField.removeLast() }

    mutating func listBegin(_ id: Int16, _ element: ThriftType, count: Int) {
        fieldHeader(id, .list)
        if count < 15 { bytes.append(UInt8(count) << 4 | element.rawValue) } else {
            bytes.append(0xF0 | element.rawValue)
            varint(UInt64(count))
        }
    }

    mutating func listI32(_ id: Int16, _ values: [Int32]) {
        listBegin(id, .i32, count: values.count)
        for v in values { zigzag(Int64(v)) }
    }

    mutating func listString(_ id: Int16, _ values: [String]) {
        listBegin(id, .binary, count: values.count)
        for v in values { rawBinary(Array(v.utf8)) }
    }
}

/// A generic compact-protocol value, enough to walk any Parquet metadata struct and ignore what we don't use.
indirect enum ThriftValue {
    case bool(Bool), int(Int64), double(Double), binary([UInt8])
    case list([ThriftValue])
    case structure([Int16: ThriftValue])
    case map

    var int: Int64? { if case let .int(v) = self { return v }; return nil }
    var list: [ThriftValue]? { if case let .list(v) = self { return v }; return nil }
    var fields: [Int16: ThriftValue]? { if case let .structure(v) = self { return v }; return nil }
    var string: String? { if case let .binary(b) = self { return String(decoding: b, as: UTF8.self) }; return nil }
}

struct ThriftReader {
    struct Failure: Error { let reason: String }

    private let bytes: UnsafeBufferPointer<UInt8>
    private(set) var offset: Int

    init(_ bytes: UnsafeBufferPointer<UInt8>, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private mutating func byte() throws(Failure) -> UInt8 {
        guard offset < bytes.count else { throw Failure(reason: "truncated Thrift data") }
        defer { offset += 1 }
        return bytes[offset]
    }

    private mutating func varint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
            if shift > 63 { throw Failure(reason: "varint too long") }
        }
    }

    private mutating func zigzag() throws(Failure) -> Int64 {
        let v = try varint()
        return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
    }

    mutating func readStruct(depth: Int = 0) throws(Failure) -> [Int16: ThriftValue] {
        guard depth < 64 else { throw Failure(reason: "Thrift nesting too deep") }
        var fields: [Int16: ThriftValue] = [:]
        var last: Int16 = 0
        while true {
            let header = try byte()
            guard let type = ThriftType(rawValue: header & 0x0F) else { throw Failure(reason: "bad Thrift type") }
            if type == .stop { return fields }
            let delta = Int16(header >> 4)
            let id: Int16
            if delta != 0 { id = last + delta } else {
                guard let wide = Int16(exactly: try zigzag()) else { throw Failure(reason: "bad field id") }
                id = wide
            }
            last = id
            fields[id] = try value(type, depth: depth)
        }
    }

    /// An element of a list, set or map: booleans inside containers are one byte each, not folded into a header.
    private mutating func element(_ type: ThriftType, depth: Int) throws(Failure) -> ThriftValue {
        if type == .boolTrue || type == .boolFalse { return .bool(try byte() == 1) }
        return try value(type, depth: depth)
    }

    private mutating func value(_ type: ThriftType, depth: Int) throws(Failure) -> ThriftValue {
        switch type {
        case .boolTrue: return .bool(true)
        case .boolFalse: return .bool(false)
        case .byte: return .int(Int64(Int8(bitPattern: try byte())))
        case .i16, .i32, .i64: return .int(try zigzag())
        case .double:
            guard offset + 8 <= bytes.count else { throw Failure(reason: "truncated double") }
            var bits: UInt64 = 0
            for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
            offset += 8
            return .double(Double(bitPattern: bits))
        case .binary:
            let n = Int(truncatingIfNeeded: try varint())
            guard n >= 0, n <= bytes.count - offset else { throw Failure(reason: "truncated binary") }
            defer { offset += n }
            return .binary(Array(bytes[offset..<offset + n]))
        case .list, .set:
            let header = try byte()
            var count = Int(header >> 4)
            if count == 15 { count = Int(truncatingIfNeeded: try varint()) }
            guard let kind = ThriftType(rawValue: header & 0x0F) else { throw Failure(reason: "bad list type") }
            guard count >= 0, count <= bytes.count - offset + 1 else { throw Failure(reason: "list longer than the data") }
            var items: [ThriftValue] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try element(kind, depth: depth + 1)) }
            return .list(items)
        case .structure:
            return .structure(try readStruct(depth: depth + 1))
        case .map:
            // Every entry takes at least two bytes (containers hold booleans as bytes), so a count the data
            // cannot hold is an error, not 2^60 turns of an empty loop.
            let count = Int(truncatingIfNeeded: try varint())
            guard count >= 0, count <= (bytes.count - offset) / 2 else { throw Failure(reason: "map longer than the data") }
            if count > 0 {
                let kv = try byte()
                guard let k = ThriftType(rawValue: kv >> 4), let v = ThriftType(rawValue: kv & 0x0F) else {
                    throw Failure(reason: "bad map types")
                }
                for _ in 0..<count { _ = try element(k, depth: depth + 1); _ = try element(v, depth: depth + 1) }
            }
            return .map
        case .stop:
            throw Failure(reason: "unexpected stop")
        }
    }
}
