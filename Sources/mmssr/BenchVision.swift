#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import Scorer
import Tensor
import Vision

/// `mmssr bench vision`: the vision tower alone, by precision, thread count and batch, and where its time goes.
struct BenchVision: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vision",
        abstract: "Vision tower throughput by precision, threads and batch, with the time per kind of op.",
        discussion: """
            Decodes and preprocesses generated 640x480 JPEGs (images/s on all cores), then runs the DINOv2 \
            forward on them for each precision (int8, fp32), thread count (1, all cores) and batch (--batches). \
            images/s is the median of --repeats timed forwards after one warm-up. The shares split the \
            forward's wall time into the linear layers (GEMMs with their activation quantisation), attention \
            and the rest (LayerNorm, GELU, residuals, patch layout). About 2 minutes on 2 idle cores. \
            --siglip times the teacher's SigLIP-so400m tower at 384 instead (random weights, the 26 blocks \
            LLaVA-OneVision runs, all cores; about 1 s per image in int8, so try --batches 2 --repeats 1).
            """)

    @Option(help: "Batch sizes, separated by commas.")
    var batches = "1,8,32"

    @Option(help: "Timed forwards per measurement.")
    var repeats = 3

    @Option(help: "Precisions to run: int8, fp32 or both separated by commas.")
    var precision = "int8,fp32"

    @Flag(help: "Time the teacher's SigLIP-so400m/14 tower at 384 (random weights) instead of DINOv2.")
    var siglip = false

    @OptionGroup var models: BenchModels

    func run() throws {
        let batchSizes = batches.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !batchSizes.isEmpty, batchSizes.allSatisfy({ $0 > 0 }), repeats > 0 else {
            throw ValidationError("--batches wants positive integers separated by commas, --repeats a positive count")
        }
        let precisions = precision.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !precisions.isEmpty, precisions.allSatisfy({ $0 == "int8" || $0 == "fp32" }) else {
            throw ValidationError("--precision wants int8, fp32 or both separated by commas")
        }
        let cores = Parallel.threads
        if siglip { return benchSigLIP(batchSizes, precisions) }
        let jpegs = (1...8).map { ImageBenchmark.syntheticJPEG(seed: UInt64($0)) }
        let decoded = try ImageBenchmark.run(jpegs: jpegs, rounds: 6, threads: cores)
        print("decode + preprocess 640x480 JPEG -> 224x224: \(f(decoded.imagesPerSecond, 1)) images/s on \(cores) threads"
            + " (decode \(f(decoded.decodeMilliseconds, 2)) ms + preprocess \(f(decoded.preprocessMilliseconds, 2)) ms per image)")
        let preprocessor = ImagePreprocessor()
        let pixels = try jpegs.map { try preprocessor.tensor(ImageDecoder.decode(data: $0, name: "benchmark image")).data }

        print("\nprecision  thr  batch   images/s | linear  attention  rest   (share of forward wall time)")
        for name in precisions {
            let fp32 = name == "fp32"
            let path = try models.path(fp32: fp32)
            let tower: VisionTransformer
            do { tower = try VisionTransformer(file: GGUFFile(path: path)) } catch { throw CLIError("cannot use model \(path): \(error)") }
            for threads in cores > 1 ? [1, cores] : [1] {
                Parallel.setThreads(threads)
                for batch in batchSizes {
                    let images = (0..<batch).map { pixels[$0 % pixels.count] }
                    _ = tower.hiddenStates(images)
                    var clock = PartClock(enabled: true)
                    var runs = [Double]()
                    for _ in 0..<repeats {
                        let start = PartClock.now()
                        _ = tower.hiddenStates(images, clock: &clock)
                        runs.append(PartClock.now() - start)
                    }
                    printRow(name, threads: threads, batch: batch, runs: runs, clock: clock)
                }
            }
            Parallel.setThreads(cores)
        }
        printLoad()
    }

    func benchSigLIP(_ batchSizes: [Int], _ precisions: [String]) {
        let c = SigLIPConfiguration.so400m
        let d = Double(c.hidden), ffn = Double(c.intermediate)
        let opsPerImage = 2 * Double(c.patches) * (Double(3 * c.patchSize * c.patchSize) * d + Double(c.blocks) * (4 * d * d + 2 * d * ffn))
        print("SigLIP-so400m/14 at \(c.imageSize): \(c.blocks) blocks, \(c.patches) x \(c.hidden) features, random weights")
        print("\nprecision  thr  batch   images/s | linear  attention  rest   (share of forward wall time) | s/image | linear GOP/s per core")
        for name in precisions {
            let tower = SigLIP(randomWeights: c, fp32: name == "fp32")
            for batch in batchSizes {
                _ = tower.timeForward(images: batch)
                var clock = PartClock(enabled: true)
                var runs = [Double]()
                for _ in 0..<repeats {
                    let (seconds, parts) = tower.timeForward(images: batch)
                    runs.append(seconds)
                    clock.add(parts)
                }
                // Several images: each worker's clock runs on its own core and the clocks add up; one image:
                // the wall time of ops split over every core.
                let coreSeconds = clock[.linear] * Double(min(Parallel.threads, batch) > 1 ? 1 : Parallel.threads)
                printRow(name, threads: Parallel.threads, batch: batch, runs: runs, clock: clock,
                         extra: " | " + pad(f(runs.sorted()[runs.count / 2] / Double(batch), 2), 7, right: true)
                             + " | " + f(opsPerImage * Double(batch * repeats) / coreSeconds / 1e9, 0))
            }
        }
        printLoad()
    }

    /// One table row: the median of `runs` as images/s, and each kind of op's share of `clock`.
    func printRow(_ name: String, threads: Int, batch: Int, runs: [Double], clock: PartClock, extra: String = "") {
        let total = PartClock.Part.allCases.reduce(0) { $0 + clock[$1] }
        let shares = PartClock.Part.allCases.map { pad(f(100 * clock[$0] / total, 0) + "%", $0 == .attention ? 10 : 7, right: true) }
        print(pad(name, 9) + pad("\(threads)", 5, right: true) + pad("\(batch)", 7, right: true)
            + pad(f(Double(batch) / runs.sorted()[runs.count / 2], 1), 11, right: true) + " |" + shares.joined() + extra)
    }

    func printLoad() {
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) == 3 { print("load average \(f(load[0], 2)) on \(Parallel.threads) cores (other processes make every figure noisy)") }
    }
}
