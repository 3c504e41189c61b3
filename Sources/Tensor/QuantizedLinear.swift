#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CBLAS

/// Int8 fully connected layer `y = x W^T + b`, a drop-in for the fp32 `Linear`.
///
/// Weights are int8 per output channel (`W ~= weight * scales[:, None]`), packed once at init into the
/// layout of the chosen kernel. Each forward quantises the rows of `x` to int8 (one scale per row),
/// accumulates in int32 and dequantises with both scales before adding the bias, all in fp32.
///
/// SmoothQuant: when the converter moved per-channel factors `s` into the weights (`W[:, c] * s[c]`, so a
/// few outlier channels no longer set every token's int8 step), `inputScale` is `1 / s` and the
/// quantiser multiplies each input channel by it on the way, so `(x / s) W'^T = x W^T` at no extra pass.
public struct QuantizedLinear: LinearLayer {
    /// The int8 GEMM implementations in Sources/CBLAS; all give identical integer sums.
    public enum Kernel: Int32, Sendable, CaseIterable, CustomStringConvertible {
        case scalar = 0, avx2 = 1, vnni = 2, amx = 3

        public var description: String {
            switch self {
            case .scalar: "scalar"
            case .avx2: "avx2"
            case .vnni: "vnni"
            case .amx: "amx"
            }
        }

        public var isSupported: Bool { mmssr_qgemm_supported(rawValue) != 0 }

        /// The fastest kernel this CPU runs.
        public static var best: Kernel { Kernel(rawValue: mmssr_qgemm_best_kernel()) ?? .scalar }

        /// The kernel `MMSSR_KERNEL` forces, or `best` when it is unset.
        public static func fromEnvironment() throws(KernelChoiceError) -> Kernel {
            guard let value = getenv("MMSSR_KERNEL") else { return best }
            return try named(String(cString: value))
        }

        public static func named(_ name: String) throws(KernelChoiceError) -> Kernel {
            let code = mmssr_qgemm_parse_kernel(name)
            if let kernel = Kernel(rawValue: code) { return kernel }
            throw KernelChoiceError(name: name, isKnown: code == -2)
        }

        /// Resolved once per process. An invalid `MMSSR_KERNEL` stops the process with the error's message:
        /// forcing a kernel is a deliberate request, so silently running another would mislead (the CLI
        /// checks `fromEnvironment()` at start-up to report it cleanly).
        public static let selected: Kernel = {
            do throws(KernelChoiceError) {
                return try fromEnvironment()
            } catch {
                fatalError(error.description)
            }
        }()
    }

    public struct KernelChoiceError: Error, CustomStringConvertible {
        public let name: String
        /// True when the kernel exists but this CPU cannot run it.
        public let isKnown: Bool

        public var description: String {
            isKnown
                ? "MMSSR_KERNEL=\(name): this CPU does not support that kernel"
                : "MMSSR_KERNEL=\(name): unknown kernel (expected scalar, avx2, vnni or amx)"
        }
    }

    public let inFeatures: Int
    public let outFeatures: Int
    public let kernel: Kernel
    private let packed: PackedWeights
    private let scales: [Float]
    private let bias: [Float]?
    /// Per input channel multiplier applied before quantisation (SmoothQuant's `1 / s`), or nil.
    public let inputScale: [Float]?

    /// `weight` is row-major `[outFeatures, inFeatures]` as stored in the model file; `scales` has one
    /// entry per output row. Uses `Kernel.selected`.
    public init(weight: [Int8], scales: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int,
                inputScale: [Float]? = nil, kernel: Kernel = .selected) {
        precondition(weight.count == outFeatures * inFeatures,
                     "QuantizedLinear: weight has \(weight.count) values, expected \(outFeatures)x\(inFeatures)")
        precondition(scales.count == outFeatures, "QuantizedLinear: \(scales.count) scales for \(outFeatures) outputs")
        precondition(bias.map { $0.count == outFeatures } ?? true, "QuantizedLinear: bias length differs from outFeatures")
        precondition(inputScale.map { $0.count == inFeatures } ?? true, "QuantizedLinear: inputScale length differs from inFeatures")
        precondition(kernel.isSupported, "QuantizedLinear: kernel \(kernel) is not supported on this CPU")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.kernel = kernel
        self.packed = PackedWeights(kernel: kernel, weight: weight, rows: outFeatures, cols: inFeatures)
        self.scales = scales
        self.bias = bias
        self.inputScale = inputScale
    }

    /// Quantises an fp32 `[outFeatures, inFeatures]` weight per output row (see `Quantization`).
    public static func quantizing(weight: [Float], bias: [Float]?, outFeatures: Int, inFeatures: Int,
                                  kernel: Kernel = .selected) -> QuantizedLinear {
        let q = Quantization.quantizeRows(weight, rows: outFeatures, cols: inFeatures)
        return QuantizedLinear(weight: q.values, scales: q.scales, bias: bias, outFeatures: outFeatures,
                               inFeatures: inFeatures, kernel: kernel)
    }

    public func forward(_ x: Tensor) -> Tensor {
        newOutput(rows: x.rows) { forward(x, into: $0) }
    }

    /// `forward(x)` written into `out` (`[x.rows, outFeatures]`), which a caller may reuse across calls so the
    /// product does not also pay for fresh pages.
    public func forward(_ x: Tensor, into out: inout Tensor) {
        write(&out, rows: x.rows) { forward(x, into: $0) }
    }

    private func forward(_ x: Tensor, into out: UnsafeMutablePointer<Float>) {
        precondition(x.cols == inFeatures, "QuantizedLinear: input has \(x.cols) features, expected \(inFeatures)")
        let plan = WorkSplit(kernel: kernel, rows: x.rows, cols: outFeatures)
        let k = kernel.rawValue, n = Int32(outFeatures), kdim = Int32(inFeatures)
        x.data.withUnsafeBufferPointer { xp in
            withOptionalPointer(inputScale) { cs in
                if !plan.byRows {
                    // Few rows, shared by workers that take column panels: quantised once, up front.
                    let acts = QuantizedActivations(kernel: kernel, rows: x.rows, cols: inFeatures)
                    mmssr_qgemm_quantize(k, xp.baseAddress, cs, kdim, 0, Int32(x.rows), acts.buffer, acts.scales)
                    return product(acts, plan, into: out)
                }
                // Split by rows, each worker quantises exactly the rows it multiplies, a cache block at a time
                // into a buffer of its own thread's.
                withEpilogue { ws, bias in
                    Parallel.forEach(plan.chunks) { chunk in
                        let r = plan.rows(chunk)
                        mmssr_qgemm_forward(k, packed.pointer, xp.baseAddress, cs, n, kdim, Int32(r.lowerBound),
                                            Int32(r.upperBound), ws, bias, out)
                    }
                }
            }
        }
    }

    /// Quantises the rows of `x` for `forward(quantized:)`; the two together equal `forward(x)`.
    /// Separate so the quantisation cost can be measured on its own.
    public func quantize(_ x: Tensor) -> QuantizedActivations {
        precondition(x.cols == inFeatures, "QuantizedLinear: input has \(x.cols) features, expected \(inFeatures)")
        let acts = QuantizedActivations(kernel: kernel, rows: x.rows, cols: inFeatures)
        let plan = WorkSplit(kernel: kernel, rows: x.rows, cols: inFeatures)
        x.data.withUnsafeBufferPointer { xp in
            withOptionalPointer(inputScale) { cs in
                Parallel.forEach(plan.rowChunks) { chunk in
                    let r = plan.rows(chunk)
                    mmssr_qgemm_quantize(kernel.rawValue, xp.baseAddress, cs, Int32(inFeatures), Int32(r.lowerBound),
                                         Int32(r.upperBound), acts.buffer, acts.scales)
                }
            }
        }
        return acts
    }

    public func forward(quantized acts: QuantizedActivations) -> Tensor {
        newOutput(rows: acts.rows) { forward(quantized: acts, into: $0) }
    }

    /// `forward(quantized: acts)` written into `out` (`[acts.rows, outFeatures]`).
    public func forward(quantized acts: QuantizedActivations, into out: inout Tensor) {
        write(&out, rows: acts.rows) { forward(quantized: acts, into: $0) }
    }

    private func forward(quantized acts: QuantizedActivations, into out: UnsafeMutablePointer<Float>) {
        precondition(acts.kernel == kernel && acts.cols == inFeatures,
                     "QuantizedLinear: activations quantised for \(acts.kernel) x \(acts.cols), layer is \(kernel) x \(inFeatures)")
        product(acts, WorkSplit(kernel: kernel, rows: acts.rows, cols: outFeatures), into: out)
    }

    /// The GEMM of already quantised rows over `plan`'s chunks.
    private func product(_ acts: QuantizedActivations, _ plan: WorkSplit, into out: UnsafeMutablePointer<Float>) {
        let rows = acts.rows, n = outFeatures
        withEpilogue { ws, bias in
            Parallel.forEach(plan.chunks) { chunk in
                let r = plan.byRows ? plan.rows(chunk) : 0..<rows
                let c = plan.byRows ? 0..<n : plan.columns(chunk)
                mmssr_qgemm_compute(kernel.rawValue, packed.pointer, acts.buffer, Int32(n), Int32(inFeatures),
                                    Int32(r.lowerBound), Int32(r.upperBound), Int32(c.lowerBound), Int32(c.upperBound),
                                    acts.scales, ws, bias, out, nil)
            }
        }
    }

    /// `body(weightScales, bias)` with the epilogue's per-column arrays as pointers.
    private func withEpilogue(_ body: (UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void) {
        scales.withUnsafeBufferPointer { ws in
            withOptionalPointer(bias) { bp in body(ws.baseAddress, bp) }
        }
    }

    /// `fill(out's storage)` after checking that `out` is `[rows, outFeatures]`.
    private func write(_ out: inout Tensor, rows: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) {
        precondition(out.shape == [rows, outFeatures], "QuantizedLinear: output is \(out.shape), expected [\(rows), \(outFeatures)]")
        guard !out.data.isEmpty else { return }
        out.data.withUnsafeMutableBufferPointer { fill($0.baseAddress!) }
    }

    /// A `[rows, outFeatures]` tensor every element of which `fill` writes.
    private func newOutput(rows: Int, _ fill: (UnsafeMutablePointer<Float>) -> Void) -> Tensor {
        let count = rows * outFeatures
        guard count > 0 else { return Tensor(shape: [rows, outFeatures], data: []) }
        let data = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            fill(buffer.baseAddress!)
            initialized = count
        }
        return Tensor(shape: [rows, outFeatures], data: data)
    }
}

/// Activations quantised for one kernel: the encoded rows and one fp32 scale per row.
///
/// Invariant for `@unchecked Sendable`: the buffers are written only by `QuantizedLinear` while it
/// quantises (each worker its own rows) and are read-only once handed out.
public final class QuantizedActivations: @unchecked Sendable {
    public let kernel: QuantizedLinear.Kernel
    public let rows: Int
    public let cols: Int
    let buffer: UnsafeMutableRawPointer
    let scales: UnsafeMutablePointer<Float>

    init(kernel: QuantizedLinear.Kernel, rows: Int, cols: Int) {
        self.kernel = kernel
        self.rows = rows
        self.cols = cols
        let bytes = rows * mmssr_qgemm_act_row_bytes(kernel.rawValue, Int32(cols))
        buffer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        scales = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1))
    }

    deinit {
        buffer.deallocate()
        scales.deallocate()
    }
}

/// Weights packed for one kernel.
///
/// Invariant for `@unchecked Sendable`: the buffer is filled in init and never written again, so any
/// number of threads may read it; it is freed in deinit, after the last layer holding it is gone.
private final class PackedWeights: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer

    init(kernel: QuantizedLinear.Kernel, weight: [Int8], rows: Int, cols: Int) {
        let bytes = mmssr_qgemm_packed_size(kernel.rawValue, Int32(rows), Int32(cols))
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes, 1), alignment: 64)
        weight.withUnsafeBufferPointer {
            mmssr_qgemm_pack(kernel.rawValue, $0.baseAddress, Int32(rows), Int32(cols), pointer)
        }
    }

    deinit { pointer.deallocate() }
}

/// How a product is cut across `Parallel`'s workers: by blocks of rows when there are enough rows (each
/// worker then streams the whole packed weight, which fits its L2), else by column panels.
private struct WorkSplit {
    let rowCount: Int
    let colCount: Int
    let rowBlock: Int
    let panel: Int
    let byRows: Bool
    let rowChunks: Int
    let chunks: Int

    init(kernel: QuantizedLinear.Kernel, rows: Int, cols: Int) {
        rowCount = rows
        colCount = cols
        rowBlock = Int(mmssr_qgemm_row_block(kernel.rawValue))
        panel = Int(mmssr_qgemm_panel_width(kernel.rawValue))
        let workers = Parallel.threads
        let rowBlocks = (rows + rowBlock - 1) / rowBlock
        let panels = (cols + panel - 1) / panel
        rowChunks = max(1, min(workers, rowBlocks))
        byRows = rowBlocks >= 4 * workers || rowBlocks >= panels
        chunks = byRows ? rowChunks : max(1, min(workers, panels))
    }

    /// Rows of chunk `c`, cut on register-block boundaries.
    func rows(_ c: Int) -> Range<Int> {
        let blocks = (rowCount + rowBlock - 1) / rowBlock
        let lo = blocks * c / rowChunks * rowBlock, hi = blocks * (c + 1) / rowChunks * rowBlock
        return min(lo, rowCount)..<min(hi, rowCount)
    }

    /// Columns of chunk `c`, cut on panel boundaries.
    func columns(_ c: Int) -> Range<Int> {
        let panels = (colCount + panel - 1) / panel
        let lo = panels * c / chunks * panel, hi = panels * (c + 1) / chunks * panel
        return min(lo, colCount)..<min(hi, colCount)
    }
}

private func withOptionalPointer<R>(_ array: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let array else { return body(nil) }
    return array.withUnsafeBufferPointer { body($0.baseAddress) }
}
