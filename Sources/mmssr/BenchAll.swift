#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CBLAS
import Foundation
import Scorer
import Tensor
import Vision

/// `mmssr bench` (or `mmssr bench all`): every throughput figure that sizes a scoring fleet, in one run.
struct BenchAll: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract: "Machine, GEMM, towers, image decode, end to end and peak RSS in one run (the default).",
        discussion: """
            Measures, on this machine: the CPU (model, SIMD flags, cores, the clock measured as `bench gemm` \
            does), fp32 sgemm vs the int8 kernel on a vision and a text-tower shape, each tower's forward \
            (vision: 8 images; text: 32 sentences of 128 tokens) in int8 and fp32, JPEG decode + preprocess, \
            and `mmssr score` (int8, its defaults) end to end on a generated pool of 640x480 JPEGs, then the \
            peak RSS. Rates are wall-clock on all cores; 'per core-s' divides by the process's CPU time \
            instead, which is steadier when neighbours share the cores. GEMM timings are medians after a \
            warm-up, tower timings medians of 3 forwards (1 with --quick). About 1 minute on 2 idle cores, \
            half that with --quick; `mmssr bench e2e` compares precisions and thread splits end to end.
            """)

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Flag(help: "A short run: fewer repeats and a smaller pool.")
    var quick = false

    @Option(help: "Where the generated pool and its images go (kept and reused; shared with `bench e2e`).")
    var dir = "/tmp/mmssr-bench-e2e"

    @OptionGroup var models: BenchModels

    func run() throws {
        let start = ScorePipeline.now()
        let repeats = quick ? 3 : 5
        let cores = Parallel.threads
        var report = Report(machine: Machine.measure(), poolSize: quick ? 32 : 64)
        let peak = report.machine.int8PeakGopsPerCore
        for (m, k, n, name) in [(2056, 384, 1536, "vision MLP, 8 images"), (4096, 384, 1536, "text MLP, 32x128 tokens")] {
            for threads in cores > 1 ? [1, cores] : [1] {
                let r = BenchGemm.measure(m: m, k: k, n: n, threads: threads, repeats: repeats)
                let ops = 2 * Double(m) * Double(n) * Double(k) * 1e-9
                report.gemm.append(Gemm(shape: "\(m)x\(k)x\(n)", use: name, threads: threads, kernel: "\(r.kernel)",
                                        fp32Gops: ops / r.fp32.0, int8Gops: ops / r.int8.0,
                                        int8FractionOfPeak: peak > 0 ? ops / r.int8.0 / (peak * Double(threads)) : nil))
            }
        }
        Parallel.setThreads(cores)

        let jpegs = (1...8).map { ImageBenchmark.syntheticJPEG(seed: UInt64($0)) }
        let decoded = try ImageBenchmark.run(jpegs: jpegs, rounds: quick ? 2 : 6, threads: cores)
        report.decode = Decode(imagesPerSecond: decoded.imagesPerSecond, imagesPerCoreSecond: decoded.imagesPerCPUSecond,
                               decodeMilliseconds: decoded.decodeMilliseconds, preprocessMilliseconds: decoded.preprocessMilliseconds)

        let pool = try SyntheticPool.ensure(dir: dir, count: report.poolSize)
        for fp32 in [false, true] {
            let path = try models.path(fp32: fp32)
            let scorer: ScoringModel
            do { scorer = try ScoringModel(path: path, fp32: fp32) } catch { throw CLIError("cannot use model \(path): \(error)") }
            let precision = fp32 ? "fp32" : "int8"
            report.towers += try towers(scorer, precision: precision, jpegs: jpegs, runs: quick ? 1 : 3)
            if !fp32 {
                report.endToEnd = try endToEnd(scorer, pool: pool)
                report.peakRssMegabytesInt8 = peakRSSMegabytes()
            }
        }
        report.peakRssMegabytes = peakRSSMegabytes()
        report.loadAverage = loadAverage()
        report.seconds = ScorePipeline.now() - start
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            report.printTable()
        }
    }

    /// Vision tower on 8 preprocessed images, text tower on 32 sentences of 128 tokens: median rates. A
    /// forward takes seconds, so there is no separate warm-up: the median of 3 leaves out a slow first one.
    private func towers(_ scorer: ScoringModel, precision: String, jpegs: [[UInt8]], runs: Int) throws -> [Tower] {
        let images = try jpegs.map { try scorer.preprocessor.tensor(ImageDecoder.decode(data: $0, name: "benchmark image")).data }
        let tokens = min(128, scorer.text.config.maxTokens)
        let words = "the quick brown fox jumps over the lazy dog near a river bank while children play football in the park "
        let sentences = (0..<32).map { i in
            scorer.tokenizer.encode("sentence \(i): " + String(repeating: words, count: 8), maxTokens: tokens)
        }
        let vision = medianSeconds(runs) { _ = scorer.vision.features(images) }
        let text = medianSeconds(runs) { _ = scorer.text.embed(sentences) }
        return [Tower(tower: "vision", precision: precision, batch: "8 images 224x224", perSecond: Double(images.count) / vision),
                Tower(tower: "text", precision: precision, batch: "32 x \(sentences[0].count) tokens", perSecond: Double(sentences.count) / text)]
    }

    /// `mmssr score` on the generated pool, with score's defaults (forward on all cores, 1 prepare thread).
    private func endToEnd(_ scorer: ScoringModel, pool: String) throws -> EndToEnd {
        let job = ScoreJob(pool: pool, imagesRoot: dir + "/images", output: dir + "/bench-all.parquet")
        unlink(ScorePipeline.checkpointPath(output: job.output))
        let cpu0 = cpuSeconds()
        let summary: ScoreSummary
        do throws(PipelineError) { summary = try ScorePipeline(scorer: scorer, job: job).run() } catch { throw CLIError(error.description) }
        let cpu = cpuSeconds() - cpu0
        return EndToEnd(precision: scorer.precision, samples: summary.scored, seconds: summary.seconds,
                        samplesPerSecond: Double(summary.scored) / summary.seconds,
                        samplesPerCoreSecond: Double(summary.scored) / cpu)
    }

    private func medianSeconds(_ count: Int, _ body: () -> Void) -> Double {
        var runs = [Double]()
        for _ in 0..<count {
            let t = ScorePipeline.now()
            body()
            runs.append(ScorePipeline.now() - t)
        }
        return runs.sorted()[runs.count / 2]
    }
}

private struct Report: Encodable {
    var machine: Machine
    var poolSize: Int
    var gemm: [Gemm] = []
    var towers: [Tower] = []
    var decode: Decode?
    var endToEnd: EndToEnd?
    var peakRssMegabytesInt8 = 0.0
    var peakRssMegabytes = 0.0
    var loadAverage: Double?
    var seconds = 0.0

    func printTable() {
        let m = machine
        print("machine  \(m.cpu), \(m.cores) cores at \(f(m.ghz, 2)) GHz (measured); \(m.flags.joined(separator: " "))")
        print("         OpenBLAS \(m.openblasCore); int8 peak \(f(m.int8PeakGopsPerCore, 0)) GOP/s per core"
            + " (\(m.int8Peak) measured)")
        print("\nGEMM     1-thread rows: thread CPU time; all-core rows: wall time (descheduling by neighbours counts)")
        print("         shape            use                       thr  fp32 GOP/s  int8 GOP/s  int8/fp32  int8 % peak")
        for g in gemm {
            print("         " + pad(g.shape, 17) + pad(g.use, 26) + pad("\(g.threads)", 3, right: true)
                + pad(f(g.fp32Gops, 0), 12, right: true) + pad(f(g.int8Gops, 0), 12, right: true)
                + pad(f(g.int8Gops / g.fp32Gops, 2) + "x", 11, right: true)
                + pad(g.int8FractionOfPeak.map { f(100 * $0, 0) + "%" } ?? "-", 13, right: true))
        }
        print("\ntowers   tower   batch                  int8/s     fp32/s  int8/fp32")
        for name in ["vision", "text"] {
            let int8 = towers.first { $0.tower == name && $0.precision == "int8" }
            let fp32 = towers.first { $0.tower == name && $0.precision == "fp32" }
            guard let int8, let fp32 else { continue }
            print("         " + pad(name, 8) + pad(int8.batch, 19) + pad(f(int8.perSecond, 1), 11, right: true)
                + pad(f(fp32.perSecond, 1), 11, right: true) + pad(f(int8.perSecond / fp32.perSecond, 2) + "x", 11, right: true))
        }
        if let decode {
            print("\ndecode   640x480 JPEG -> 224x224 tensor: \(f(decode.imagesPerSecond, 1)) images/s on \(m.cores) threads,"
                + " \(f(decode.imagesPerCoreSecond, 1)) per core-s (decode \(f(decode.decodeMilliseconds, 2)) ms"
                + " + preprocess \(f(decode.preprocessMilliseconds, 2)) ms)")
        }
        print("\nend to end  mmssr score, \(poolSize) samples (640x480 JPEG + Q/A), batch \(ScoreJob.defaultBatchSize(threads: m.cores)) (its default)")
        if let e = endToEnd {
            print("         \(e.precision): \(f(e.samplesPerSecond, 2)) samples/s (\(f(e.samplesPerSecond / Double(m.cores), 2)) per core),"
                + " \(f(e.samplesPerCoreSecond, 2)) per core-s of CPU time; \(e.samples) in \(f(e.seconds, 1)) s")
        }
        print("\npeak RSS \(f(peakRssMegabytesInt8, 0)) MB after the int8 runs, \(f(peakRssMegabytes, 0)) MB after the fp32 towers")
        print("\(f(seconds, 0)) s; load average \(loadAverage.map { f($0, 2) } ?? "unknown") on \(m.cores) cores"
            + " (other processes share them: every figure is noisy)")
    }
}

private struct Machine: Encodable {
    var cpu: String
    /// The SIMD features the kernels dispatch on, among avx2, avx512f, avx512_vnni, avx512_bf16, amx_int8.
    var flags: [String]
    var cores: Int
    var ghz: Double
    var openblasCore: String
    /// `Int8Peak`: vpdpbusd zmm at the measured rate and clock (`bench gemm`'s '%meas'), or AVX2's step.
    var int8Peak: String
    var int8PeakGopsPerCore: Double

    static func measure() -> Machine {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        func field(_ name: String) -> String? {
            info.split(separator: "\n").first { $0.hasPrefix(name) }
                .flatMap { $0.split(separator: ":", maxSplits: 1).last }
                .map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let present = Set((field("flags") ?? "").split(separator: " ").map(String.init))
        let ghz = mmssr_measure_ghz()
        let peak = Int8Peak.measure(ghz: ghz)
        return Machine(cpu: field("model name") ?? "unknown CPU",
                       flags: ["avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_int8"].filter(present.contains),
                       cores: Parallel.threads, ghz: ghz, openblasCore: String(cString: openblas_get_corename()),
                       int8Peak: peak.summary, int8PeakGopsPerCore: peak.gopsPerCore)
    }
}

private struct Gemm: Encodable {
    var shape: String
    var use: String
    var threads: Int
    var kernel: String
    var fp32Gops: Double
    var int8Gops: Double
    /// Of the measured int8 peak of `threads` cores.
    var int8FractionOfPeak: Double?
}

private struct Tower: Encodable {
    var tower: String
    var precision: String
    var batch: String
    /// Images (vision) or sentences (text) per second.
    var perSecond: Double
}

private struct Decode: Encodable {
    var imagesPerSecond: Double
    var imagesPerCoreSecond: Double
    var decodeMilliseconds: Double
    var preprocessMilliseconds: Double
}

private struct EndToEnd: Encodable {
    var precision: String
    var samples: Int
    var seconds: Double
    var samplesPerSecond: Double
    /// Samples per second of process CPU time: what one core delivers when neighbours take the others.
    var samplesPerCoreSecond: Double
}

/// User plus system CPU seconds of the whole process so far.
private func loadAverage() -> Double? {
    var load = [Double](repeating: 0, count: 3)
    return getloadavg(&load, 3) == 3 ? load[0] : nil
}
