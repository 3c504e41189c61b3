import CBLAS
import Tensor
import XCTest

/// Reproducible random test data, drawn from SplitMix64.
struct QGemmRandom {
    private var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// Uniform in [-1, 1).
    mutating func unit() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }

    /// Roughly Gaussian (sum of uniforms), scaled.
    mutating func normal(_ sigma: Float) -> Float { (unit() + unit() + unit()) * sigma }

    mutating func int8s(_ n: Int) -> [Int8] { (0..<n).map { _ in Int8(truncatingIfNeeded: next()) } }

    /// Per-channel input multipliers as SmoothQuant stores them (powers of two) mixed with arbitrary ones.
    mutating func channelScales(_ n: Int) -> [Float] {
        (0..<n).map { _ in next() % 2 == 0 ? Float(sign: .plus, exponent: int(-4...3), significand: 1) : 0.1 + unit() * unit() * 4 }
    }

    /// Rows with very different magnitudes (activations are scaled per row), one of them all zero.
    mutating func activations(rows: Int, cols: Int) -> [Float] {
        var x = [Float]()
        for r in 0..<rows {
            let sigma = r == 1 ? 0 : Float(int(1...1000)) / 100
            for _ in 0..<cols { x.append(normal(sigma)) }
        }
        return x
    }
}

/// Runs one kernel through the C API: packed weights, quantised rows, exact int32 sums.
struct QGemmRun {
    var q: [Int32]       // decoded activation integers [m, k]
    var scales: [Float]  // per row
    var sums: [Int32]    // [m, n]

    init(kernel: Int32, x: [Float], w: [Int8], m: Int, k: Int, n: Int, colScale: [Float]? = nil,
         rowSplit: Int? = nil, colSplit: Int? = nil) {
        let packed = UnsafeMutableRawPointer.allocate(
            byteCount: max(1, mmssr_qgemm_packed_size(kernel, Int32(n), Int32(k))), alignment: 64)
        defer { packed.deallocate() }
        w.withUnsafeBufferPointer { mmssr_qgemm_pack(kernel, $0.baseAddress, Int32(n), Int32(k), packed) }
        let rowBytes = mmssr_qgemm_act_row_bytes(kernel, Int32(k))
        let qa = UnsafeMutableRawPointer.allocate(byteCount: max(1, m * rowBytes), alignment: 64)
        defer { qa.deallocate() }
        var scales = [Float](repeating: -1, count: m)
        var sums = [Int32](repeating: Int32.min, count: m * n)
        let rowCut = rowSplit ?? m, colCut = colSplit ?? n
        x.withUnsafeBufferPointer { xp in
            // Quantise in two row ranges to exercise the per-worker path.
            mmssr_qgemm_quantize(kernel, xp.baseAddress, colScale, Int32(k), 0, Int32(rowCut), qa, &scales)
            mmssr_qgemm_quantize(kernel, xp.baseAddress, colScale, Int32(k), Int32(rowCut), Int32(m), qa, &scales)
        }
        for (r0, r1) in [(0, rowCut), (rowCut, m)] where r0 < r1 {
            for (c0, c1) in [(0, colCut), (colCut, n)] where c0 < c1 {
                mmssr_qgemm_compute(kernel, packed, qa, Int32(n), Int32(k), Int32(r0), Int32(r1), Int32(c0), Int32(c1),
                                    scales, nil, nil, nil, &sums)
            }
        }
        var q = [Int32]()
        for r in 0..<m {
            let row = qa + r * rowBytes
            for c in 0..<k {
                switch kernel {
                case Int32(MMSSR_QK_VNNI.rawValue), Int32(MMSSR_QK_AMX.rawValue): q.append(Int32(row.load(fromByteOffset: c, as: UInt8.self)) - 128)
                case Int32(MMSSR_QK_AVX2.rawValue): q.append(Int32(row.load(fromByteOffset: 2 * c, as: Int16.self)))
                default: q.append(Int32(row.load(fromByteOffset: c, as: Int8.self)))
                }
            }
        }
        self.q = q
        self.scales = scales
        self.sums = sums
    }
}

final class QGemmKernelTests: XCTestCase {
    private let simdKernels = [MMSSR_QK_AVX2, MMSSR_QK_VNNI, MMSSR_QK_AMX].map { Int32($0.rawValue) }
        .filter { mmssr_qgemm_supported($0) != 0 }

    /// The scalar kernel against the definition, computed here independently in Swift.
    func testScalarKernelMatchesDefinition() {
        var rng = QGemmRandom(seed: 1)
        for (m, k, n, scaled) in [(1, 1, 1, false), (3, 7, 5, true), (13, 130, 37, false), (8, 64, 16, true)] {
            let raw = rng.activations(rows: m, cols: k), w = rng.int8s(n * k)
            let colScale = scaled ? rng.channelScales(k) : nil
            let run = QGemmRun(kernel: Int32(MMSSR_QK_SCALAR.rawValue), x: raw, w: w, m: m, k: k, n: n, colScale: colScale)
            let x = colScale.map { s in raw.indices.map { raw[$0] * s[$0 % k] } } ?? raw
            for r in 0..<m {
                let absmax = (0..<k).map { abs(x[r * k + $0]) }.max()!
                XCTAssertEqual(run.scales[r], absmax / 127, "row scale \(r)")
                let inv: Float = absmax > 0 ? 127 / absmax : 0
                for c in 0..<k {
                    let want = Int32(min(127, max(-127, (x[r * k + c] * inv).rounded(.toNearestOrEven))))
                    XCTAssertEqual(run.q[r * k + c], want, "q[\(r), \(c)] of \(m)x\(k)")
                }
                for j in 0..<n {
                    let dot = (0..<k).reduce(Int32(0)) { $0 + run.q[r * k + $1] * Int32(w[j * k + $1]) }
                    XCTAssertEqual(run.sums[r * n + j], dot, "sum[\(r), \(j)] of \(m)x\(k)x\(n)")
                }
            }
        }
    }

    /// Every SIMD kernel quantises and multiplies exactly as the scalar kernel does, on random shapes
    /// with every edge: M = 1 and M not a multiple of the register block, K not a multiple of 2, 4 or
    /// 64, N not a multiple of 8, 16 or 64, full-range int8 weights (-128 included), split row and
    /// column ranges as the thread pool uses them.
    func testSimdKernelsEqualScalarExactly() throws {
        if simdKernels.isEmpty { throw XCTSkip("no SIMD kernel on this CPU") }
        var rng = QGemmRandom(seed: 2)
        var shapes = [(1, 1, 1), (1, 384, 384), (1, 5, 17), (6, 64, 64), (7, 65, 63), (2, 3, 129), (257, 384, 100)]
        for _ in 0..<12 { shapes.append((rng.int(1...40), rng.int(1...300), rng.int(1...150))) }
        for (i, (m, k, n)) in shapes.enumerated() {
            let x = rng.activations(rows: m, cols: k), w = rng.int8s(n * k)
            let colScale = i % 2 == 1 ? rng.channelScales(k) : nil
            let reference = QGemmRun(kernel: Int32(MMSSR_QK_SCALAR.rawValue), x: x, w: w, m: m, k: k, n: n, colScale: colScale)
            for kernel in simdKernels {
                let panel = Int(mmssr_qgemm_panel_width(kernel))
                let colSplit = n > panel ? panel : n
                let run = QGemmRun(kernel: kernel, x: x, w: w, m: m, k: k, n: n, colScale: colScale,
                                   rowSplit: m / 2, colSplit: colSplit)
                XCTAssertEqual(run.scales, reference.scales, "kernel \(kernel) scales, \(m)x\(k)x\(n)")
                XCTAssertEqual(run.q, reference.q, "kernel \(kernel) quantised rows, \(m)x\(k)x\(n)")
                XCTAssertEqual(run.sums, reference.sums, "kernel \(kernel) int32 sums, \(m)x\(k)x\(n)")
            }
        }
    }

    /// The AMX kernel's cache blocking on a 7B-sized k: k = 9000 is cut into several k blocks whose partial
    /// sums wait in the output, more rows than one pass (`mmssr_qgemm_cache_rows`) take several passes over
    /// the weights, the last rows (not a whole tile) go to the VNNI kernel, and a ragged last column block
    /// and a column split (blocks that take all of k at once) sit next to blocked ones. Every kernel equals
    /// the scalar sums exactly.
    func testCacheBlockedShapesEqualScalarExactly() throws {
        if simdKernels.isEmpty { throw XCTSkip("no SIMD kernel on this CPU") }
        var rng = QGemmRandom(seed: 3)
        let k = 9000, n = 71
        let amx = Int32(MMSSR_QK_AMX.rawValue)
        let passRows = Int(mmssr_qgemm_cache_rows(amx, Int32(k)))
        let m = passRows + 32 + 5
        let x = rng.activations(rows: m, cols: k), w = rng.int8s(n * k)
        let reference = QGemmRun(kernel: Int32(MMSSR_QK_SCALAR.rawValue), x: x, w: w, m: m, k: k, n: n)
        for kernel in simdKernels {
            let run = QGemmRun(kernel: kernel, x: x, w: w, m: m, k: k, n: n, rowSplit: 16, colSplit: 64)
            XCTAssertEqual(run.sums, reference.sums, "kernel \(kernel) int32 sums, \(m)x\(k)x\(n)")
            let whole = QGemmRun(kernel: kernel, x: x, w: w, m: m, k: k, n: n)
            XCTAssertEqual(whole.sums, reference.sums, "kernel \(kernel) int32 sums, one call, \(m)x\(k)x\(n)")
        }
    }

    /// Extreme operands: every activation at +-127 against weights at -128 and 127, the worst case
    /// for int16 pair sums; the SIMD kernels still equal the scalar sums.
    func testExtremeOperandsDoNotSaturate() throws {
        if simdKernels.isEmpty { throw XCTSkip("no SIMD kernel on this CPU") }
        let m = 7, k = 1536, n = 40
        let x = (0..<m * k).map { i -> Float in (i / k) % 2 == 0 ? 5 : (i % 3 == 0 ? -5 : 5) }
        let w = (0..<n * k).map { i -> Int8 in i % 5 == 0 ? 127 : -128 }
        let reference = QGemmRun(kernel: Int32(MMSSR_QK_SCALAR.rawValue), x: x, w: w, m: m, k: k, n: n)
        XCTAssertEqual(reference.sums[0], Int32(127 * (k / 5 + 1) * 127 - 127 * 128 * (k - k / 5 - 1)))
        for kernel in simdKernels {
            XCTAssertEqual(QGemmRun(kernel: kernel, x: x, w: w, m: m, k: k, n: n).sums, reference.sums, "kernel \(kernel)")
        }
    }

    func testKernelNames() {
        XCTAssertEqual(mmssr_qgemm_parse_kernel("scalar"), Int32(MMSSR_QK_SCALAR.rawValue))
        XCTAssertEqual(mmssr_qgemm_parse_kernel("nope"), -1)
        XCTAssertEqual(mmssr_qgemm_supported(mmssr_qgemm_best_kernel()), 1)
        for (name, kernel) in [("avx2", MMSSR_QK_AVX2), ("vnni", MMSSR_QK_VNNI)] {
            let code = mmssr_qgemm_parse_kernel(name)
            XCTAssertEqual(code, mmssr_qgemm_supported(Int32(kernel.rawValue)) != 0 ? Int32(kernel.rawValue) : -2, name)
        }
    }
}
