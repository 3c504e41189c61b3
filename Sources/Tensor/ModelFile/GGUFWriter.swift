import Foundation

/// Builds a GGUF v3 file: metadata in insertion order, then tensor infos, then aligned tensor data.
public struct GGUFWriter: Sendable {
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    private var tensors: [(name: String, shape: [Int], type: GGMLType, data: [UInt8])] = []
    public let alignment: Int

    public init(alignment: Int = GGUFFile.defaultAlignment) {
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment { metadata.append(("general.alignment", .uint32(UInt32(alignment)))) }
    }

    public mutating func set(_ key: String, _ value: GGUFValue) {
        if let i = metadata.firstIndex(where: { $0.key == key }) { metadata[i].value = value } else { metadata.append((key, value)) }
    }

    /// Adds a tensor from its already-encoded bytes; `shape` in numpy order.
    public mutating func addTensor(_ name: String, shape: [Int], type: GGMLType, bytes: [UInt8]) {
        precondition(type.byteCount(elements: shape.reduce(1, *)) == bytes.count, "GGUFWriter: \(name) has \(bytes.count) bytes for \(shape) \(type.name)")
        tensors.append((name, shape, type, bytes))
    }

    /// Adds fp32 values stored as F32, F16, or Q8_0.
    public mutating func addTensor(_ name: String, shape: [Int], floats: [Float], as type: GGMLType = .f32) {
        let bytes: [UInt8]
        switch type {
        case .f32: bytes = floats.withUnsafeBytes { Array($0) }
        case .f16: bytes = floats.map { Float16($0).bitPattern }.withUnsafeBytes { Array($0) }
        case .q8_0: bytes = Dequantize.q8_0Bytes(floats)
        default: preconditionFailure("GGUFWriter: cannot encode fp32 as \(type.name)")
        }
        addTensor(name, shape: shape, type: type, bytes: bytes)
    }

    public mutating func addTensor(_ name: String, shape: [Int], int8s: [Int8]) {
        addTensor(name, shape: shape, type: .i8, bytes: int8s.map { UInt8(bitPattern: $0) })
    }

    public func encoded() -> [UInt8] {
        var out = [UInt8]()
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func putString(_ s: String) { put(UInt64(s.utf8.count)); out.append(contentsOf: s.utf8) }
        func putValue(_ v: GGUFValue) {
            switch v {
            case .uint8(let x): put(x)
            case .int8(let x): put(x)
            case .uint16(let x): put(x)
            case .int16(let x): put(x)
            case .uint32(let x): put(x)
            case .int32(let x): put(x)
            case .uint64(let x): put(x)
            case .int64(let x): put(x)
            case .float32(let x): put(x.bitPattern)
            case .float64(let x): put(x.bitPattern)
            case .bool(let b): put(UInt8(b ? 1 : 0))
            case .string(let s): putString(s)
            case .array(let t, let items):
                put(t.rawValue)
                put(UInt64(items.count))
                items.forEach(putValue)
            }
        }
        put(GGUFFile.magic)
        put(UInt32(3))
        put(UInt64(tensors.count))
        put(UInt64(metadata.count))
        for (key, value) in metadata {
            putString(key)
            put(value.type.rawValue)
            putValue(value)
        }
        var offset = 0
        var offsets = [Int]()
        for t in tensors {
            offsets.append(offset)
            offset = (offset + t.data.count + alignment - 1) / alignment * alignment
        }
        for (t, off) in zip(tensors, offsets) {
            putString(t.name)
            put(UInt32(t.shape.count))
            for d in t.shape.reversed() { put(UInt64(d)) }
            put(t.type.rawValue)
            put(UInt64(off))
        }
        let pad = { (n: Int) in out.append(contentsOf: [UInt8](repeating: 0, count: (n + alignment - 1) / alignment * alignment - n)) }
        pad(out.count)
        for t in tensors {
            out.append(contentsOf: t.data)
            pad(t.data.count)
        }
        return out
    }

    /// Writes to a temporary file beside `path`, then renames it over `path` (which need not exist), so a
    /// reader never sees half a file.
    public func write(to path: String) throws {
        let tmp = path + ".tmp"
        try Data(encoded()).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: tmp)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, NSLocalizedDescriptionKey: "cannot move \(tmp) into place: \(reason)"])
        }
    }
}
