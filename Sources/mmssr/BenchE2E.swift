#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import CImage
import Foundation
import Scorer
import Tensor
import Vision

struct BenchE2E: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2e",
        abstract: "End-to-end `mmssr score` throughput on a generated pool of 640x480 JPEGs.",
        discussion: """
            Generates --count photo-like 640x480 JPEGs with conversations (once, in --dir), then runs the scoring \
            pipeline for each precision, each thread split F+P (F forward threads, P prepare threads running \
            alongside) and each kind of text, alternating the kinds so they are compared minutes apart at most. \
            Texts: `short` is one templated round (a letter to ~370 characters); `realistic` copies the round \
            counts and per-turn lengths of the items of --realistic's dev and test pools (the realistic \
            development set) with generated words. Reports samples/s, seconds per stage (prepare is summed over \
            its threads; wait is the forward idling for prepared samples), and where a sample's time goes on the \
            first batches, one part at a time: decode, preprocess and surface features on one thread (as a prepare \
            thread runs them), tokenize, text tower, vision tower and heads on the forward's threads. Peak RSS is \
            the process's high-water mark so far. On a shared machine every figure is noisy: compare runs made at \
            the same time.
            """)

    @Option(help: "Pool size.")
    var count = 256

    @Option(help: "Samples per forward (score's default: 4 per forward thread, at least 8).")
    var batch = ScoreJob.defaultBatchSize(threads: Parallel.threads)

    @Option(help: "Thread splits to try, F+P separated by commas (F forward threads, P prepare threads).")
    var splits = "2+1"

    @Option(help: "Precisions to run: int8, fp32 or both separated by commas.")
    var precision = "int8,fp32"

    @Option(help: "Texts to run: short, realistic, or both separated by commas (alternating).")
    var texts = "short,realistic"

    @Option(help: "The realistic development set whose dev/ and test/ pools give the realistic texts' shapes.")
    var realistic = "example/realistic"

    @Option(help: "Where the pool and its images go (kept and reused).")
    var dir = "/tmp/mmssr-bench-e2e"

    @OptionGroup var models: BenchModels

    func run() throws {
        let parsedSplits = try splits.split(separator: ",").map { spec -> (Int, Int) in
            let parts = spec.split(separator: "+").compactMap { Int($0) }
            guard parts.count == 2, parts[0] >= 1, parts[1] >= 1 else { throw CLIError("--splits wants F+P pairs like 2+1, got '\(spec)'") }
            return (parts[0], parts[1])
        }
        let precisions = precision.split(separator: ",").map(String.init)
        for p in precisions where p != "int8" && p != "fp32" { throw CLIError("--precision wants int8 or fp32, got '\(p)'") }
        let kinds = texts.split(separator: ",").map(String.init)
        for k in kinds where k != "short" && k != "realistic" { throw CLIError("--texts wants short or realistic, got '\(k)'") }
        let shapes = kinds.contains("realistic") ? try RealisticConversations(directory: realistic) : nil
        let pools = try kinds.map { try SyntheticPool.ensure(dir: dir, count: count, realistic: $0 == "realistic" ? shapes : nil) }
        print("pool: \(count) items, 640x480 JPEG each, in \(dir); batch \(batch); \(loadLine())")
        if let shapes {
            print(String(format: "realistic texts: shapes of %d items (%@): %.2f rounds and %.0f characters per item on average",
                         shapes.shapes.count, shapes.pools.joined(separator: ", "), shapes.meanRounds, shapes.meanCharacters))
        }
        for p in precisions {
            let fp32 = p == "fp32"
            let path = try models.path(fp32: fp32)
            let scorer = try ScoringModel(path: path, fp32: fp32)
            print("\n\(p): \(path) (runs in \(scorer.precision))")
            print(" F+P  texts      samples/s   wall s | read  prepare  forward  write  wait (s) | peak RSS")
            for (forward, prepare) in parsedSplits {
                for (kind, pool) in zip(kinds, pools) {
                    Parallel.setThreads(forward)
                    var job = ScoreJob(pool: pool, imagesRoot: dir + "/images", output: dir + "/scores.parquet")
                    job.batchSize = batch
                    job.prepareThreads = prepare
                    unlink(ScorePipeline.checkpointPath(output: job.output))
                    let s = try ScorePipeline(scorer: scorer, job: job).run()
                    let st = s.stages
                    print(String(format: " %d+%d  %@  %9.1f  %7.1f | %4.2f  %7.1f  %7.1f  %5.2f  %4.1f     | %.0f MB",
                                 forward, prepare, kind.padding(toLength: 9, withPad: " ", startingAt: 0), Double(s.scored) / s.seconds, s.seconds, st.read, st.prepare,
                                 st.forward, st.write, st.waitForPrepare, peakRSSMegabytes()))
                }
            }
            Parallel.setThreads(parsedSplits.first?.0 ?? Parallel.threads)
            for (kind, pool) in zip(kinds, pools) { try profile(scorer, pool: pool, kind: kind) }
        }
    }

    /// Where a sample's time goes, on the first batches, one part at a time (the same inputs as `score`):
    /// decode, preprocess and surface features on one thread (what a prepare thread does), the forward's parts on
    /// its threads.
    private func profile(_ scorer: ScoringModel, pool: String, kind: String) throws {
        let reader = try PoolReader(path: pool, options: .init(keepRaw: false))
        var items: [PoolItem] = []
        while items.count < min(count, 2 * batch), let item = try reader.next() { items.append(item) }
        var decode = 0.0, preprocess = 0.0, surface = 0.0
        var samples: [PreparedSample] = []
        for item in items {
            var t = ScorePipeline.now()
            let image = try ImageDecoder.decode(path: dir + "/images/" + item.images[0])
            decode += ScorePipeline.now() - t
            t = ScorePipeline.now()
            _ = scorer.preprocessor.tensor(image)
            preprocess += ScorePipeline.now() - t
            t = ScorePipeline.now()
            let text = SampleText(conversations: item.conversations, characterLimit: SampleText.characterLimit(maxTokens: scorer.text.config.maxTokens))
            _ = SurfaceFeatures.compute(text, rounds: SampleText.rounds(item.conversations))
            surface += ScorePipeline.now() - t
            samples.append(scorer.prepare(item, imagesRoot: dir + "/images"))
        }
        var tokenize = 0.0, text = 0.0, vision = 0.0, heads = 0.0, tokens = 0, characters = 0
        for start in stride(from: 0, to: samples.count, by: batch) {
            let b = Array(samples[start..<min(start + batch, samples.count)])
            var t = ScorePipeline.now()
            let ids = b.flatMap { scorer.tokenIDs($0.text) }
            tokenize += ScorePipeline.now() - t
            tokens += ids.reduce(0) { $0 + $1.count }
            characters += b.reduce(0) { $0 + $1.text.question.count + $1.text.answer.count }
            t = ScorePipeline.now()
            _ = scorer.text.embed(ids)
            text += ScorePipeline.now() - t
            t = ScorePipeline.now()
            _ = scorer.vision.features(b.flatMap(\.pixels))
            vision += ScorePipeline.now() - t
            let features = scorer.features(b)
            t = ScorePipeline.now()
            _ = scorer.heads(features)
            heads += ScorePipeline.now() - t
        }
        let n = Double(samples.count)
        func ms(_ s: Double) -> String { String(format: "%.2f", 1000 * s / n) }
        print("  \(kind) texts, ms/sample over \(samples.count) samples (\(characters / samples.count) characters, \(tokens / samples.count) tokens each):"
              + " decode \(ms(decode))  preprocess \(ms(preprocess))  surface features \(ms(surface)) (1 thread) | tokenize \(ms(tokenize))"
              + "  text tower \(ms(text))  vision tower \(ms(vision))  heads \(ms(heads)) (\(Parallel.threads) threads)")
    }

    private func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }

    private func loadLine() -> String {
        var loads = [Double](repeating: 0, count: 3)
        return getloadavg(&loads, 3) == 3 ? String(format: "load average %.1f on %d cores (shared: figures are noisy)", loads[0], ProcessInfo.processInfo.activeProcessorCount) : ""
    }
}

/// The bench's input: photo-like 640x480 JPEGs (sky and ground gradients, blurred blobs, shapes, sensor
/// noise, so the entropy and decode cost resemble photographs) with LLaVA-style question/answer texts.
enum SyntheticPool {
    /// The pool with short texts (`realistic` nil) or with the realistic set's shapes; both use the same images.
    static func ensure(dir: String, count: Int, realistic: RealisticConversations? = nil) throws -> String {
        let pool = dir + (realistic.map { "/pool-\(count)-realistic-\($0.fingerprint).json" } ?? "/pool-\(count).json")
        if FileManager.default.fileExists(atPath: pool) { return pool }
        try FileManager.default.createDirectory(atPath: dir + "/images/bench", withIntermediateDirectories: true)
        var rng = SplitMix64(seed: 7)
        var textRNG = SplitMix64(seed: 11)
        var items: [String] = []
        for i in 0..<count {
            let name = "bench/\(i).jpg"
            let path = dir + "/images/" + name
            if !FileManager.default.fileExists(atPath: path) {
                try Data(jpeg(width: 640, height: 480, rng: &rng)).write(to: URL(fileURLWithPath: path))
            }
            let rounds = realistic.map { $0.conversation(&textRNG) } ?? [conversation(&rng)]
            let turns = rounds.enumerated().flatMap { r, qa in
                ["{\"from\": \"human\", \"value\": \(jsonString((r == 0 ? "<image>\n" : "") + qa.0))}",
                 "{\"from\": \"gpt\", \"value\": \(jsonString(qa.1))}"]
            }
            items.append("{\"id\": \"bench-\(i)\", \"image\": \"\(name)\", \"conversations\": [\(turns.joined(separator: ", "))]}")
        }
        try Data(("[\n" + items.joined(separator: ",\n") + "\n]\n").utf8).write(to: URL(fileURLWithPath: pool))
        return pool
    }

    private static func jpeg(width: Int, height: Int, rng: inout SplitMix64) throws -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        let horizon = Double(height) * (0.3 + 0.4 * rng.unit())
        let sky = (rng.color(), rng.color()), ground = (rng.color(), rng.color())
        let blobs = (0..<(6 + Int(rng.next() % 10))).map { _ in
            (x: rng.unit() * Double(width), y: rng.unit() * Double(height), r: 20 + rng.unit() * 140,
             color: rng.color(), box: rng.next() % 3 == 0)
        }
        var noise = rng.next()
        for y in 0..<height {
            for x in 0..<width {
                let fy = Double(y)
                var c: (Double, Double, Double)
                if fy < horizon {
                    c = mix(sky.0, sky.1, fy / horizon)
                } else {
                    c = mix(ground.0, ground.1, (fy - horizon) / (Double(height) - horizon))
                }
                for b in blobs {
                    let dx = Double(x) - b.x, dy = Double(y) - b.y
                    let inside: Double
                    if b.box {
                        inside = abs(dx) < b.r && abs(dy) < b.r * 0.6 ? 1 : 0
                    } else {
                        let d = (dx * dx + dy * dy).squareRoot() / b.r
                        inside = d < 1 ? min(1, (1 - d) * 3) : 0
                    }
                    if inside > 0 { c = mix(c, b.color, inside * 0.85) }
                }
                // Texture: a few pixels' worth of grain, as in a real photo.
                noise = noise &* 6364136223846793005 &+ 1442695040888963407
                let grain = Double(Int(noise >> 59)) - 16
                let o = (y * width + x) * 3
                rgb[o] = clamp(c.0 + grain + 8 * sin(Double(x) * 0.05 + Double(y) * 0.03))
                rgb[o + 1] = clamp(c.1 + grain)
                rgb[o + 2] = clamp(c.2 + grain + 6 * cos(Double(y) * 0.07))
            }
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        guard mmssr_jpeg_encode_rgb(rgb, UInt32(width), UInt32(height), 90, &out, &size) == 0, let out else {
            throw CLIError("could not encode a benchmark JPEG")
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    private static func mix(_ a: (Double, Double, Double), _ b: (Double, Double, Double), _ t: Double) -> (Double, Double, Double) {
        (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t, a.2 + (b.2 - a.2) * t)
    }

    private static func clamp(_ v: Double) -> UInt8 { UInt8(max(0, min(255, v.rounded()))) }

    private static let objects = ["red bus", "golden retriever", "wooden bench", "traffic light", "bicycle", "street vendor",
                                  "sailboat", "laptop", "bowl of soup", "mountain ridge", "chart legend", "receipt total"]
    private static let places = ["on a busy street", "near the lake", "in a small kitchen", "at the train station",
                                 "in the park", "inside an office", "on the beach at sunset"]

    /// Question/answer pairs in the styles of LLaVA data: short answers, multiple choice, yes/no, coordinates,
    /// detailed descriptions and step-by-step reasoning.
    private static func conversation(_ rng: inout SplitMix64) -> (String, String) {
        let o = objects[Int(rng.next() % UInt64(objects.count))], o2 = objects[Int(rng.next() % UInt64(objects.count))]
        let p = places[Int(rng.next() % UInt64(places.count))]
        switch rng.next() % 6 {
        case 0: return ("What color is the \(o) in the image?", "The \(o) is mostly blue with a white stripe.")
        case 1: return ("Which object is closer to the camera?\nA. the \(o)\nB. the \(o2)\nAnswer with the option's letter from the given choices directly.", "A")
        case 2: return ("Is there a \(o) \(p)?", "Yes")
        case 3: return ("Please provide the bounding box coordinate of the region this sentence describes: the \(o) on the left.", "[0.12, 0.34, 0.48, 0.91]")
        case 4: return ("Describe the image in detail.", "The image shows a \(o) \(p). In the foreground there is a \(o2), partly in shadow, while the background is filled with soft light and a few people walking by. The colors are warm and the scene feels calm, typical of a late afternoon. Several smaller details, such as signs and reflections, suggest the photo was taken in a city during autumn.")
        default: return ("How many \(o)s would fit next to the \(o2)? Think step by step.", "First, estimate the width of the \(o2): about two meters. Next, a \(o) is roughly half a meter wide. Dividing two by one half gives four. Therefore about 4 would fit.")
        }
    }
}

/// The pool's random choices, seeded so it is the same on every machine.
extension SplitMix64 {
    fileprivate mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    fileprivate mutating func color() -> (Double, Double, Double) { (unit() * 255, unit() * 255, unit() * 255) }
}
