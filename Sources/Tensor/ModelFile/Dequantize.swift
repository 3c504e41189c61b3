import CBLAS

/// Conversions between fp32 and the stored types the engine reads: I8 and every ggml type the C layer
/// dequantises (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K; see mmssr_ggml.h).
public enum Dequantize {
    /// Whether `floats` reads `type`.
    public static func reads(_ type: GGMLType) -> Bool {
        type == .i8 || mmssr_ggml_supported(Int32(type.rawValue)) != 0
    }

    /// `count` values of `type` from `raw` (which holds at least their bytes), or nil for a type not read here
    /// or a count that is not a whole number of blocks.
    static func floats(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int) -> [Float]? {
        if type == .i8 { return raw.prefix(count).map { Float(Int8(bitPattern: $0)) } }
        let (elements, bytes) = type.block
        guard reads(type), count % elements == 0, raw.count >= count / elements * bytes else { return nil }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            if count > 0 {
                _ = mmssr_ggml_dequantize(Int32(type.rawValue), raw.baseAddress!, count / elements, out.baseAddress!)
            }
            initialized = count
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
