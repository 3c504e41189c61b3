/// Conversions between fp32 and the stored types the engine reads (F32, F16, BF16, I8, Q8_0).
public enum Dequantize {
    static func floats(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int) -> [Float]? {
        switch type {
        case .f32:
            return (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
        case .f16:
            return (0..<count).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .bf16:
            return (0..<count).map { Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)) << 16) }
        case .i8:
            return raw.prefix(count).map { Float(Int8(bitPattern: $0)) }
        case .q8_0:
            // Blocks of 32: an f16 scale then 32 int8 quants.
            var out = [Float](repeating: 0, count: count)
            for b in 0..<(count / 32) {
                let base = b * 34
                let d = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: base, as: UInt16.self)))
                for i in 0..<32 { out[b * 32 + i] = d * Float(Int8(bitPattern: raw[base + 2 + i])) }
            }
            return out
        default:
            return nil
        }
    }

    /// Q8_0 encoding as ggml does it: per block of 32, d = max|x| / 127 (stored as f16), q = round(x / d).
    public static func q8_0Bytes(_ values: [Float]) -> [UInt8] {
        precondition(values.count % 32 == 0, "Q8_0 needs a multiple of 32 values")
        var out = [UInt8]()
        out.reserveCapacity(values.count / 32 * 34)
        for b in 0..<(values.count / 32) {
            let block = values[b * 32 ..< (b + 1) * 32]
            let amax = block.map(abs).max() ?? 0
            let d = amax / 127
            let id: Float = d == 0 ? 0 : 1 / d
            withUnsafeBytes(of: Float16(d).bitPattern.littleEndian) { out.append(contentsOf: $0) }
            for x in block { out.append(UInt8(bitPattern: Int8((x * id).rounded()))) }
        }
        return out
    }
}
