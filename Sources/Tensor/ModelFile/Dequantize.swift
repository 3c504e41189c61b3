import CBLAS

/// Conversions between fp32 and the stored types: every ggml type llama.cpp writes for dense models (F32,
/// F16, BF16, I8, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K ... Q6_K) decodes through the C kernels of
/// mmssr_ggml.h, bit-equal to ggml's reference and the `gguf` package.
public enum Dequantize {
    /// The dequantisation kernel used unless a caller names one (`MMSSR_DK_*`).
    public static let bestKernel = mmssr_ggml_dequant_best_kernel()

    /// Values per parallel chunk: below this a thread costs more than it saves.
    private static let chunkValues = 1 << 16

    public static func isSupported(_ type: GGMLType) -> Bool {
        mmssr_ggml_type_supported(Int32(type.rawValue)) != 0
    }

    /// Decodes `out.count` values (whole blocks of `type`) from the start of `raw` into `out` on this thread.
    /// False when the type is not decodable, or `out.count` is not whole blocks or needs more than `raw`.
    public static func decode(_ raw: UnsafeRawBufferPointer, type: GGMLType, into out: UnsafeMutableBufferPointer<Float>,
                              kernel: Int32 = bestKernel) -> Bool {
        guard let bytes = type.byteCount(elements: out.count), bytes <= raw.count else { return false }
        if out.isEmpty { return isSupported(type) }
        return mmssr_ggml_dequantize(kernel, Int32(type.rawValue), raw.baseAddress, out.baseAddress, out.count) == 0
    }

    /// `decode` split into block-aligned chunks across `Parallel`'s workers.
    public static func decodeParallel(_ raw: UnsafeRawBufferPointer, type: GGMLType, into out: UnsafeMutableBufferPointer<Float>,
                                      kernel: Int32 = bestKernel) -> Bool {
        guard isSupported(type), let bytes = type.byteCount(elements: out.count), bytes <= raw.count else { return false }
        let (perBlock, blockBytes) = type.block
        let blocks = out.count / perBlock
        // Each chunk reads and writes its own blocks only.
        let io = UncheckedSendable((raw, out))
        Parallel.forRanges(blocks, minPerChunk: max(1, chunkValues / perBlock)) { r in
            let (raw, out) = io.value
            let src = UnsafeRawBufferPointer(rebasing: raw[(r.lowerBound * blockBytes)...])
            let dst = UnsafeMutableBufferPointer(rebasing: out[(r.lowerBound * perBlock) ..< (r.upperBound * perBlock)])
            _ = decode(src, type: type, into: dst, kernel: kernel)
        }
        return true
    }

    /// `count` values of `type` from `raw` as fp32, or nil when the type is not decodable.
    static func floats(_ raw: UnsafeRawBufferPointer, type: GGMLType, count: Int) -> [Float]? {
        guard isSupported(type), let bytes = type.byteCount(elements: count), bytes <= raw.count else { return nil }
        return [Float](unsafeUninitializedCapacity: count) { out, initialized in
            _ = decodeParallel(raw, type: type, into: out)
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
