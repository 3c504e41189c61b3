/// Where one tensor lives in a GGUF file. `shape` is in row-major (numpy) order, outermost first:
/// the reverse of GGUF's `ne[]`.
public struct GGUFTensorInfo: Sendable, Equatable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Absolute byte offset of the data in the file.
    public let offset: Int
    public let byteCount: Int

    public var elementCount: Int { shape.reduce(1, *) }
}

/// A GGUF v2/v3 file, memory-mapped and validated on open: every tensor lies inside the file, aligned,
/// of a known type, with a unique name. Immutable, so it is shared across threads.
public final class GGUFFile: Sendable {
    public static let magic: UInt32 = 0x4655_4747 // "GGUF" little-endian
    public static let defaultAlignment = 32

    public let path: String
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    public let tensors: [GGUFTensorInfo]
    public let alignment: Int
    public let dataOffset: Int
    private let file: MappedFile
    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    public init(path: String) throws(ModelFileError) {
        file = try MappedFile(path: path)
        self.path = path
        var cur = ByteCursor(bytes: file.bytes, path: path)
        let magic = try cur.read(UInt32.self, "magic")
        guard magic == Self.magic else { throw cur.fail("not a GGUF file (bad magic)", at: 0) }
        version = try cur.read(UInt32.self, "version")
        guard version == 2 || version == 3 else { throw cur.fail("unsupported GGUF version \(version)", at: 4) }
        let tensorCount = try cur.read(UInt64.self, "tensor count")
        let kvCount = try cur.read(UInt64.self, "metadata count")
        // Every entry takes at least 8 bytes, so larger counts cannot be honest.
        guard tensorCount < UInt64(file.bytes.count / 8 + 1), kvCount < UInt64(file.bytes.count / 8 + 1) else {
            throw cur.fail("implausible counts: \(tensorCount) tensors, \(kvCount) metadata entries", at: 8)
        }
        // A first pass walks the whole header without building anything, so a count or length that runs past
        // the end of the file fails here, before the second pass allocates per element.
        let headerStart = cur.offset
        try Self.walkHeader(&cur, metadataCount: kvCount, tensorCount: tensorCount)
        cur.offset = headerStart
        var metadata = [(key: String, value: GGUFValue)]()
        var metadataIndex = [String: Int]()
        for _ in 0..<kvCount {
            let at = cur.offset
            let key = try Self.readString(&cur)
            let rawType = try cur.read(UInt32.self, "value type")
            guard let type = GGUFValueType(rawValue: rawType) else { throw cur.fail("unknown metadata type \(rawType) for key \(key)", at: cur.offset - 4) }
            let value = try Self.readValue(type, &cur)
            guard metadataIndex[key] == nil else { throw cur.fail("duplicate metadata key \(key)", at: at) }
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        var alignment = Self.defaultAlignment
        if let i = metadataIndex["general.alignment"] {
            guard let a = metadata[i].value.intValue, a > 0, a & (a - 1) == 0 else {
                throw ModelFileError(path: path, offset: nil, reason: "general.alignment must be a power of two")
            }
            alignment = a
        }
        var raw = [(name: String, shape: [Int], type: GGMLType, relative: Int, at: Int)]()
        for _ in 0..<tensorCount {
            let at = cur.offset
            let name = try Self.readString(&cur)
            let dims = try cur.read(UInt32.self, "dimension count")
            guard dims >= 1, dims <= 4 else { throw cur.fail("tensor \(name) has \(dims) dimensions (1-4 allowed)", at: at) }
            var ne = [Int]()
            for _ in 0..<dims {
                let d = try cur.read(UInt64.self, "dimension")
                guard let v = Int(exactly: d), v <= Int(Int32.max) else { throw cur.fail("tensor \(name) has an implausible dimension \(d)") }
                ne.append(v)
            }
            let rawType = try cur.read(UInt32.self, "tensor type")
            guard let type = GGMLType(rawValue: rawType) else { throw cur.fail("tensor \(name) has unknown type \(rawType)", at: cur.offset - 4) }
            let rel = try cur.read(UInt64.self, "tensor offset")
            guard let relative = Int(exactly: rel) else { throw cur.fail("tensor \(name) offset overflows") }
            raw.append((name, ne.reversed(), type, relative, at))
        }
        dataOffset = (cur.offset + alignment - 1) / alignment * alignment
        var tensors = [GGUFTensorInfo]()
        var tensorIndex = [String: Int]()
        for t in raw {
            let (count, overflow) = t.shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d)
                return (p, acc.1 || o)
            }
            guard !overflow, let bytes = t.type.byteCount(elements: count) else {
                throw ModelFileError(path: path, offset: t.at, reason: "tensor \(t.name): \(t.shape) is not a whole number of \(t.type.name) blocks")
            }
            guard t.relative % alignment == 0 else {
                throw ModelFileError(path: path, offset: t.at, reason: "tensor \(t.name) data is not \(alignment)-byte aligned")
            }
            let start = dataOffset + t.relative
            guard start >= dataOffset, start <= file.bytes.count, bytes <= file.bytes.count - start else {
                throw ModelFileError(path: path, offset: t.at, reason: "tensor \(t.name) lies outside the file (data at \(start), \(bytes) bytes, file is \(file.bytes.count))")
            }
            guard tensorIndex[t.name] == nil else { throw ModelFileError(path: path, offset: t.at, reason: "duplicate tensor \(t.name)") }
            tensorIndex[t.name] = tensors.count
            tensors.append(GGUFTensorInfo(name: t.name, shape: t.shape, type: t.type, offset: start, byteCount: bytes))
        }
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.tensors = tensors
        self.tensorIndex = tensorIndex
        self.alignment = alignment
    }

    /// Checks that the metadata and tensor infos lie inside the file: every string length and array count
    /// against the bytes left, and nothing allocated.
    private static func walkHeader(_ cur: inout ByteCursor, metadataCount: UInt64, tensorCount: UInt64) throws(ModelFileError) {
        for _ in 0..<metadataCount {
            try skipString(&cur)
            let rawType = try cur.read(UInt32.self, "value type")
            guard let type = GGUFValueType(rawValue: rawType) else { throw cur.fail("unknown metadata type \(rawType)", at: cur.offset - 4) }
            try skipValue(type, &cur)
        }
        for _ in 0..<tensorCount {
            try skipString(&cur)
            let at = cur.offset
            let dims = try cur.read(UInt32.self, "dimension count")
            guard dims >= 1, dims <= 4 else { throw cur.fail("tensor has \(dims) dimensions (1-4 allowed)", at: at) }
            _ = try cur.take(Int(dims) * 8 + 4 + 8, "tensor info")
        }
    }

    private static func skipString(_ cur: inout ByteCursor) throws(ModelFileError) {
        let at = cur.offset
        let n = try cur.read(UInt64.self, "string length")
        guard let len = Int(exactly: n) else { throw cur.fail("string length \(n) overflows", at: at) }
        _ = try cur.take(len, "string")
    }

    private static func skipValue(_ type: GGUFValueType, _ cur: inout ByteCursor) throws(ModelFileError) {
        if let size = type.fixedSize { _ = try cur.take(size, "\(type)"); return }
        switch type {
        case .string: try skipString(&cur)
        case .array:
            let at = cur.offset
            let rawType = try cur.read(UInt32.self, "array element type")
            guard let elementType = GGUFValueType(rawValue: rawType), elementType != .array else {
                throw cur.fail("unknown or nested array element type \(rawType)", at: at)
            }
            let n = try cur.read(UInt64.self, "array length")
            // Strings take at least their 8-byte length; fixed-size elements exactly their size.
            let minimum = UInt64(elementType.fixedSize ?? 8)
            let left = UInt64(cur.bytes.count - cur.offset)
            guard n <= left / minimum else {
                throw cur.fail("array length \(n) exceeds the \(left) bytes left in the file", at: at + 4)
            }
            if let size = elementType.fixedSize {
                _ = try cur.take(Int(n) * size, "array")
            } else {
                for _ in 0..<n { try skipString(&cur) }
            }
        default: break
        }
    }

    private static func readString(_ cur: inout ByteCursor) throws(ModelFileError) -> String {
        let at = cur.offset
        let n = try cur.read(UInt64.self, "string length")
        guard let len = Int(exactly: n) else { throw cur.fail("string length \(n) overflows", at: at) }
        let raw = try cur.take(len, "string")
        guard let s = String(validating: raw, as: UTF8.self) else { throw cur.fail("string is not valid UTF-8", at: at) }
        return s
    }

    private static func readValue(_ type: GGUFValueType, _ cur: inout ByteCursor) throws(ModelFileError) -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cur.read(UInt8.self, "u8"))
        case .int8: return .int8(try cur.read(Int8.self, "i8"))
        case .uint16: return .uint16(try cur.read(UInt16.self, "u16"))
        case .int16: return .int16(try cur.read(Int16.self, "i16"))
        case .uint32: return .uint32(try cur.read(UInt32.self, "u32"))
        case .int32: return .int32(try cur.read(Int32.self, "i32"))
        case .uint64: return .uint64(try cur.read(UInt64.self, "u64"))
        case .int64: return .int64(try cur.read(Int64.self, "i64"))
        case .float32: return .float32(try cur.readFloat("f32"))
        case .float64: return .float64(try cur.readDouble("f64"))
        case .bool:
            let b = try cur.read(UInt8.self, "bool")
            guard b <= 1 else { throw cur.fail("bool value \(b) is neither 0 nor 1", at: cur.offset - 1) }
            return .bool(b == 1)
        case .string: return .string(try readString(&cur))
        case .array:
            let at = cur.offset
            let rawType = try cur.read(UInt32.self, "array element type")
            guard let elementType = GGUFValueType(rawValue: rawType), elementType != .array else {
                throw cur.fail("unknown or nested array element type \(rawType)", at: at)
            }
            let n = try cur.read(UInt64.self, "array length")
            // `walkHeader` has checked the count against the bytes left.
            guard n <= UInt64(cur.bytes.count - cur.offset) else { throw cur.fail("array length \(n) exceeds the file", at: at + 4) }
            var items = [GGUFValue]()
            items.reserveCapacity(Int(n))
            for _ in 0..<n { items.append(try readValue(elementType, &cur)) }
            return .array(elementType, items)
        }
    }

    // MARK: - Metadata

    public func value(_ key: String) -> GGUFValue? {
        metadataIndex[key].map { metadata[$0].value }
    }

    private func missing(_ key: String, _ expected: String) -> ModelFileError {
        ModelFileError(path: path, offset: nil, reason: "metadata \(key) is missing or not \(expected)")
    }

    public func string(_ key: String) throws(ModelFileError) -> String {
        guard case .string(let s)? = value(key) else { throw missing(key, "a string") }
        return s
    }

    public func int(_ key: String) throws(ModelFileError) -> Int {
        guard let v = value(key)?.intValue else { throw missing(key, "an integer") }
        return v
    }

    public func float(_ key: String) throws(ModelFileError) -> Float {
        guard let v = value(key)?.floatValue else { throw missing(key, "a number") }
        return Float(v)
    }

    public func bool(_ key: String) throws(ModelFileError) -> Bool {
        guard case .bool(let b)? = value(key) else { throw missing(key, "a bool") }
        return b
    }

    public func strings(_ key: String) throws(ModelFileError) -> [String] {
        guard case .array(.string, let items)? = value(key) else { throw missing(key, "a string array") }
        return items.map { if case .string(let s) = $0 { s } else { "" } }
    }

    public func floats(_ key: String) throws(ModelFileError) -> [Float] {
        guard case .array(_, let items)? = value(key) else { throw missing(key, "a number array") }
        let values = items.compactMap(\.floatValue)
        guard values.count == items.count else { throw missing(key, "a number array") }
        return values.map(Float.init)
    }

    // MARK: - Tensors

    public func info(_ name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    private func require(_ name: String) throws(ModelFileError) -> GGUFTensorInfo {
        guard let t = info(name) else { throw ModelFileError(path: path, offset: nil, reason: "tensor \(name) is missing") }
        return t
    }

    /// The tensor's raw bytes, inside the mapping (valid while this object lives).
    public func rawBytes(_ info: GGUFTensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: file.bytes[info.offset ..< info.offset + info.byteCount])
    }

    /// The tensor as fp32 values (dequantised from any type `Dequantize` decodes), checking its shape when given.
    public func floats(tensor name: String, shape: [Int]? = nil) throws(ModelFileError) -> [Float] {
        let t = try require(name)
        if let shape, shape != t.shape {
            throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(name) has shape \(t.shape), expected \(shape)")
        }
        try requireDecodable(t)
        return Dequantize.floats(rawBytes(t), type: t.type, count: t.elementCount)!
    }

    /// Rows `rows` of the tensor (slices of its outermost dimension) as fp32 into `out`, which holds
    /// `rows.count` rows exactly, on this thread: callers convert a large matrix piecewise or in parallel
    /// without holding it twice.
    public func dequantize(tensor name: String, rows: Range<Int>, into out: UnsafeMutableBufferPointer<Float>) throws(ModelFileError) {
        let t = try require(name)
        try requireDecodable(t)
        let rowCount = t.shape[0], rowLength = t.shape.dropFirst().reduce(1, *)
        guard rows.lowerBound >= 0, rows.upperBound <= rowCount else {
            throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(name): rows \(rows) outside its \(rowCount) rows")
        }
        guard out.count == rows.count * rowLength else {
            throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(name): \(out.count) floats for \(rows.count) rows of \(rowLength)")
        }
        guard let rowBytes = t.type.byteCount(elements: rowLength) else {
            throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(name): rows of \(rowLength) are not whole \(t.type.name) blocks")
        }
        let raw = UnsafeRawBufferPointer(rebasing: rawBytes(t)[(rows.lowerBound * rowBytes)...])
        _ = Dequantize.decode(raw, type: t.type, into: out)
    }

    private func requireDecodable(_ t: GGUFTensorInfo) throws(ModelFileError) {
        guard Dequantize.isSupported(t.type) else {
            throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(t.name) has type \(t.type.name), which mmssr cannot dequantise")
        }
    }

    /// An I8 tensor's values.
    public func int8s(tensor name: String) throws(ModelFileError) -> [Int8] {
        let t = try require(name)
        guard t.type == .i8 else { throw ModelFileError(path: path, offset: t.offset, reason: "tensor \(name) is \(t.type.name), expected I8") }
        return Array(rawBytes(t).bindMemory(to: Int8.self))
    }
}
