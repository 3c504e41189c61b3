import Foundation

/// A safetensors file: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}}`, then the data. Memory-mapped.
public final class SafetensorsFile: Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// Absolute byte range in the file.
        public let range: Range<Int>
    }

    public let path: String
    public let entries: [String: Entry]
    private let file: MappedFile

    public init(path: String) throws(ModelFileError) {
        file = try MappedFile(path: path)
        self.path = path
        var cur = ByteCursor(bytes: file.bytes, path: path)
        let n = try cur.read(UInt64.self, "header length")
        guard let headerLength = Int(exactly: n), headerLength <= file.bytes.count - 8 else {
            throw cur.fail("header length \(n) exceeds the file", at: 0)
        }
        let header = Data(try cur.take(headerLength, "header"))
        let json: [String: Any]
        do {
            guard let object = try JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw cur.fail("header is not a JSON object", at: 8)
            }
            json = object
        } catch let e as ModelFileError {
            throw e
        } catch {
            throw cur.fail("header is not valid JSON", at: 8)
        }
        let dataStart = 8 + headerLength
        var entries = [String: Entry]()
        for (name, value) in json where name != "__metadata__" {
            guard let v = value as? [String: Any], let dtype = v["dtype"] as? String,
                  let shape = v["shape"] as? [Int], let offsets = v["data_offsets"] as? [Int], offsets.count == 2,
                  offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= file.bytes.count - dataStart else {
                throw cur.fail("tensor \(name) has a malformed entry or lies outside the file", at: 8)
            }
            entries[name] = Entry(name: name, dtype: dtype, shape: shape, range: (dataStart + offsets[0]) ..< (dataStart + offsets[1]))
        }
        self.entries = entries
    }

    /// An F32 (or F16/BF16) tensor as fp32 values.
    public func floats(_ name: String) throws(ModelFileError) -> [Float] {
        guard let e = entries[name] else { throw ModelFileError(path: path, offset: nil, reason: "tensor \(name) is missing") }
        let type: GGMLType
        switch e.dtype {
        case "F32": type = .f32
        case "F16": type = .f16
        case "BF16": type = .bf16
        default: throw ModelFileError(path: path, offset: e.range.lowerBound, reason: "tensor \(name) is \(e.dtype), expected a float type")
        }
        let count = e.shape.reduce(1, *)
        guard type.byteCount(elements: count) == e.range.count else {
            throw ModelFileError(path: path, offset: e.range.lowerBound, reason: "tensor \(name): \(e.range.count) bytes for shape \(e.shape)")
        }
        return Dequantize.floats(UnsafeRawBufferPointer(rebasing: file.bytes[e.range]), type: type, count: count)!
    }
}
