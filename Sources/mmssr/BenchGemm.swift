#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import CBLAS
import Tensor

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GEMM throughput: fp32 sgemm vs int8 kernels.",
        discussion: """
            Times the encoder (M = 257 x 8) and text-tower (M = 128 x 32) linear shapes on one thread and on \
            all cores, and the encoder's MLP on one image (M = 257) on one thread, as each scoring worker runs \
            it. All products of a shape (sgemm, each kernel with and without quantisation, every thread count) \
            run once per round, one after another, so a slow spell on a shared host falls on all of them and \
            their ratios compare like with like. Each figure is the median of --repeats rounds after a warm-up \
            round, with the best in brackets: on a shared machine the best is the better estimate of what the \
            code can do.
            """
    )

    @Option(help: "Timed rounds (each runs every product of a shape once).")
    var repeats = 7

    @Flag(help: "Skip the scalar kernel (slow).")
    var noScalar = false

    func run() throws {
        let ghz = mmssr_measure_ghz()
        let vnniPerCycle = mmssr_measure_vnni_per_cycle(ghz)
        let peak128 = 128 * ghz
        let peakMeasured = vnniPerCycle * 64 * 2 * ghz
        let avx2PerCycle = mmssr_measure_avx2_madd_per_cycle(ghz)
        let avx2Peak = avx2PerCycle * 16 * 2 * ghz
        if ghz > 0 {
            print("clock \(fmt(ghz, 2)) GHz: a chain of dependent register adds (1 cycle each), best of 200 runs of 1 M cycles")
        } else {
            print("clock unknown on this architecture: no fraction of peak")
        }
        if vnniPerCycle > 0 {
            print("vpdpbusd zmm measured at \(fmt(vnniPerCycle, 2))/cycle (12 independent chains):"
                + " machine int8 peak \(fmt(peakMeasured, 0)) GOP/s per core ('%meas')")
        }
        if avx2PerCycle > 0 {
            print("AVX2's exact step (vpmaddwd + vpaddd, ymm) measured at \(fmt(avx2PerCycle, 2))/cycle:"
                + " AVX2 int8 peak \(fmt(avx2Peak, 0)) GOP/s per core ('avx2 %own': the avx2 kernel against it)")
        }
        print(Self.openBLASKernels())
        print("reference peak (issue 3): 128 int8 op/cycle/core = \(fmt(peak128, 0)) GOP/s per core ('%128')")
        print("GOP/s = 2 M N K / time; median of \(repeats) rounds [best]; every product of a shape runs once per round; '+q' includes activation quantisation")
        print("1-thread rows use thread CPU time, all-core rows wall time; each product writes into one output"
            + " buffer reused across its runs (as GEMM benchmarks do), so fresh-page faults are not counted")
        print(loadAverage())

        let kernels = QuantizedLinear.Kernel.allCases.reversed().filter { $0.isSupported && !(noScalar && $0 == .scalar) }
        // The last two: the encoder's MLP on one image, as `mmssr score` runs it (each worker takes whole
        // images, on one thread).
        let shapes = [(2056, 384, 1152), (2056, 384, 384), (2056, 384, 1536), (2056, 1536, 384),
                      (4096, 384, 384), (4096, 384, 1536), (4096, 1536, 384), (257, 384, 1536), (257, 1536, 384)]
        let all = Parallel.threads
        let threadCounts = all > 1 ? [1, all] : [1]

        var header = "    M     K     N thr | sgemm        "
        for k in kernels { header += "| \(pad("\(k)+q", 13))\(pad("\(k)", 13))" }
        // The fractions of peak and the ratios to sgemm are for the int8 kernels with SIMD (all against the
        // VNNI peak: the issue's yardstick; AMX can exceed it).
        let rated = Array(kernels.filter { $0 != .scalar }.prefix(2))
        header += "| %meas +q: " + rated.map { pad("\($0)", 6, right: true) }.joined()
        header += " | %128 +q: " + rated.map { pad("\($0)", 6, right: true) }.joined()
        header += " | x sgemm +q: " + rated.map { pad("\($0)", 6, right: true) }.joined()
        let showAVX2Own = kernels.contains(.avx2) && avx2Peak > 0
        if showAVX2Own { header += " | avx2 %own +q" }
        print(header)
        var speedUps = [String]()
        for (m, k, n) in shapes {
            let (x, w, bias) = Self.inputs(m: m, k: k, n: n)
            let layers = kernels.map {
                QuantizedLinear.quantizing(weight: w, bias: bias, outFeatures: n, inFeatures: k, kernel: $0)
            }
            let acts = layers.map { $0.quantize(x) }
            let ops = 2 * Double(m) * Double(n) * Double(k) * 1e-9
            var out = Tensor(zeros: [m, n])
            // Per thread count: sgemm, then each kernel with and without its quantisation, all in the same rounds.
            var probes = [Probe]()
            // One image is never split across workers when scoring, so its shapes run on one thread only.
            let shapeThreads = m == 257 ? [1] : threadCounts
            for threads in shapeThreads {
                probes.append(Probe(threads: threads) { Self.sgemm(x, w, into: &out) })
                for (layer, quantized) in zip(layers, acts) {
                    probes.append(Probe(threads: threads) { layer.forward(x, into: &out) })
                    probes.append(Probe(threads: threads) { layer.forward(quantized: quantized, into: &out) })
                }
            }
            let times = Self.timeRounds(probes, repeats: repeats)
            let perThreads = 1 + 2 * kernels.count
            var withQuantisation = [[QuantizedLinear.Kernel: (Double, Double)]]()
            for (t, threads) in shapeThreads.enumerated() {
                let row = Array(times[t * perThreads..<(t + 1) * perThreads])
                let fp32 = row[0]
                var line = "\(pad(m, 5, right: true)) \(pad(k, 5, right: true)) \(pad(n, 5, right: true)) \(pad(threads, 3, right: true)) | "
                line += cell(ops, fp32)
                var totals = [QuantizedLinear.Kernel: (Double, Double)]()
                for (i, kernel) in kernels.enumerated() {
                    line += "| " + cell(ops, row[1 + 2 * i]) + cell(ops, row[2 + 2 * i])
                    totals[kernel] = row[1 + 2 * i]
                }
                withQuantisation.append(totals)
                let cores = Double(threads)
                line += "|          " + rated.map { percent(ops / totals[$0]!.0, of: peakMeasured * cores, width: 6) }.joined()
                line += " |          " + rated.map { percent(ops / totals[$0]!.0, of: peak128 * cores, width: 6) }.joined()
                line += " |            " + rated.map { pad("\(fmt(fp32.0 / totals[$0]!.0, 1))x", 6, right: true) }.joined()
                if showAVX2Own, let avx2 = totals[.avx2] { line += " | " + percent(ops / avx2.0, of: avx2Peak * cores, width: 12) }
                print(line)
            }
            if let one = withQuantisation.first, let many = withQuantisation.last, shapeThreads.count > 1 {
                speedUps.append("  \(m)x\(k)x\(n): " + rated.map {
                    "\(fmt(one[$0]!.0 / many[$0]!.0, 2))x [\(fmt(one[$0]!.1 / many[$0]!.1, 2))x]"
                }.joined(separator: ", "))
            }
        }
        Parallel.setThreads(all)
        if !speedUps.isEmpty {
            print("+q speed-up from 1 to \(all) threads, medians [best runs]: " + rated.map { "\($0)" }.joined(separator: ", "))
            speedUps.forEach { print($0) }
        }
        print(loadAverage())
    }

    /// fp32 sgemm and the fastest int8 kernel with its activation quantisation ('+q') on one shape at
    /// `threads` threads, timed as the table's rows are: (median, best) seconds each. For `mmssr bench`.
    static func measure(m: Int, k: Int, n: Int, threads: Int, repeats: Int)
        -> (kernel: QuantizedLinear.Kernel, fp32: (Double, Double), int8: (Double, Double))
    {
        let kernel = QuantizedLinear.Kernel.allCases.reversed().first { $0.isSupported } ?? .scalar
        let (x, w, bias) = inputs(m: m, k: k, n: n)
        let layer = QuantizedLinear.quantizing(weight: w, bias: bias, outFeatures: n, inFeatures: k, kernel: kernel)
        var out = Tensor(zeros: [m, n])
        let times = timeRounds([Probe(threads: threads) { sgemm(x, w, into: &out) },
                                Probe(threads: threads) { layer.forward(x, into: &out) }], repeats: repeats)
        let (fp32, int8) = (times[0], times[1])
        return (kernel, fp32, int8)
    }

    /// Which OpenBLAS kernels the sgemm column measures, and whether OPENBLAS_CORETYPE holds it below the CPU.
    static func openBLASKernels() -> String {
        let core = String(cString: openblas_get_corename())
        var line = "OpenBLAS \(core) kernels for sgemm"
        if let forced = mmssr_blas_user_core(), let better = mmssr_blas_core_above(core) {
            line += " (OPENBLAS_CORETYPE=\(String(cString: forced)) in the environment; this CPU runs"
                + " \(String(cString: better)), which is faster: unset it to compare against that)"
        }
        return line
    }

    /// Reproducible activations [m, k], weights [n, k] and bias [n] for one shape.
    private static func inputs(m: Int, k: Int, n: Int) -> (Tensor, [Float], [Float]) {
        var rng = SplitMix64(seed: UInt64(m * k + n))
        let x = Tensor(shape: [m, k], data: (0..<m * k).map { _ in rng.signedUnit() })
        let w = (0..<n * k).map { _ in rng.signedUnit() * 0.05 }
        let bias = (0..<n).map { _ in rng.signedUnit() }
        return (x, w, bias)
    }

    /// One timed product: the thread count it runs on and the closure that runs it.
    private struct Probe {
        let threads: Int
        let run: () -> Void
    }

    /// (median, best) seconds per probe over `repeats` rounds after a warm-up round. Every round runs each
    /// probe once, so a slow spell on a shared host falls on all of them alike and their ratios stay fair.
    /// 1-thread probes are timed in this thread's CPU time (one worker runs everything on the calling
    /// thread, and time spent descheduled by neighbours is not counted), the others in wall time.
    private static func timeRounds(_ probes: [Probe], repeats: Int) -> [(Double, Double)] {
        var runs = [[Double]](repeating: [], count: probes.count)
        for round in 0...max(1, repeats) {
            for (i, probe) in probes.enumerated() {
                Parallel.setThreads(probe.threads)
                let cpuTime = probe.threads == 1
                let t0 = seconds(cpuTime)
                probe.run()
                if round > 0 { runs[i].append(seconds(cpuTime) - t0) }
            }
        }
        return runs.map { times in
            let sorted = times.sorted()
            return (sorted[sorted.count / 2], sorted[0])
        }
    }

    private static func seconds(_ cpuTime: Bool) -> Double {
        var t = timespec()
        clock_gettime(cpuTime ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    }

    /// out = x w^T with OpenBLAS, its rows split over `Parallel`'s workers (the caller has set `threads`), each
    /// calling single-threaded sgemm on its share: the thread model of the whole program. OpenBLAS's own
    /// threads would do the same work, but they spin for ~0.1 s after each call and steal the second core
    /// from the int8 products measured next.
    private static func sgemm(_ x: Tensor, _ w: [Float], into out: inout Tensor) {
        let (m, k, n) = (x.rows, x.cols, out.cols)
        x.data.withUnsafeBufferPointer { xs in
            w.withUnsafeBufferPointer { ws in
                out.data.withUnsafeMutableBufferPointer { os in
                    let p = UncheckedSendable((xs.baseAddress!, ws.baseAddress!, os.baseAddress!))
                    Parallel.forRanges(m, minPerChunk: 64) { rows in
                        let (x, w, o) = p.value
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows.count), Int32(n), Int32(k), 1,
                                    x + rows.lowerBound * k, Int32(k), w, Int32(k), 0, o + rows.lowerBound * n, Int32(n))
                    }
                }
            }
        }
    }

    private func percent(_ gops: Double, of peak: Double, width: Int = 8) -> String {
        pad(peak > 0 ? fmt(100 * gops / peak, 0) + "%" : "-", width, right: true)
    }

    private func cell(_ ops: Double, _ t: (Double, Double)) -> String {
        pad("\(fmt(ops / t.0, 0)) [\(fmt(ops / t.1, 0))]", 13)
    }
}

/// Other processes share the cores: the load average says how far to trust the all-core figures.
private func loadAverage() -> String {
    var load = [Double](repeating: 0, count: 3)
    return getloadavg(&load, 3) == 3 ? "load average \(fmt(load[0], 2)) on \(Parallel.threads) cores" : "load average unknown"
}

private func fmt(_ v: Double, _ digits: Int) -> String {
    var p = 1.0
    for _ in 0..<digits { p *= 10 }
    let r = (v * p).rounded() / p
    if digits == 0 { return String(Int(r)) }
    let whole = Int(r), frac = Int(((r - Double(whole)) * p).rounded())
    let fracText = String(abs(frac))
    return "\(whole).\(String(repeating: "0", count: max(0, digits - fracText.count)))\(fracText)"
}

private func pad(_ v: Any, _ width: Int, right: Bool = false) -> String {
    let s = "\(v)"
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

extension SplitMix64 {
    /// Uniform in [-1, 1), for reproducible inputs.
    fileprivate mutating func signedUnit() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
