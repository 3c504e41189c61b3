import ArgumentParser
import Foundation
import Scorer
import Tensor
import Vision

/// `mmssr bench teach`: seconds per sample of the official scorer + styler on this engine, by part, beside
/// the official procedure (15 full passes) on the same engine.
struct BenchTeach: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "teach",
        abstract: "Teacher seconds per sample by part (vision, shared prefill, 14 continuations, styler), beside the official 15 passes.",
        discussion: """
            --synthetic builds random weights in memory: 7b = Qwen2-7B + SigLIP-so400m/14 at 384 (the official \
            scorer's shapes), 0.5b = Qwen2-0.5B + so400m. One model serves as scorer and styler (same shapes, same \
            cost). A typical sample: one 384 x 384 image (730 rows) and --text-tokens of conversation around it; \
            the 14 capability prompts differ in their last --query-tokens tokens; scorer answers decode \
            --scorer-answer tokens (a digit and <|im_end|>), the styler --styler-answer tokens; random weights never \
            stop early, so these lengths are fixed. The official procedure runs the vision tower and a full \
            prefill per prompt: one scorer pass and one styler pass are run and the scorer's is counted 14 times \
            (--official-passes 14 runs them all).
            """)

    @Option(help: "Random weights with these shapes: 7b or 0.5b.")
    var synthetic = "7b"

    @Option(help: "Conversation tokens around the image.")
    var textTokens = 300

    @Option(help: "Tokens in which the 14 capability prompts differ.")
    var queryTokens = 10

    @Option(help: "Tokens each scorer answer decodes.")
    var scorerAnswer = 2

    @Option(help: "Tokens the styler's answer decodes.")
    var stylerAnswer = 12

    @Option(help: "Full scorer passes of the official procedure actually run (the rest are counted at the measured cost).")
    var officialPasses = 1

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        guard ["7b", "0.5b"].contains(synthetic) else { throw ValidationError("--synthetic: 7b or 0.5b") }
        guard textTokens >= 1, queryTokens >= 1, scorerAnswer >= 1, stylerAnswer >= 1 else { throw ValidationError("token counts must be at least 1") }
        guard (1...14).contains(officialPasses) else { throw ValidationError("--official-passes: 1 to 14") }
    }

    func run() throws {
        if let threads { Parallel.setThreads(threads) }
        let loadStart = Date()
        let lm = Qwen2(randomWeights: BenchLM.shapes[synthetic == "7b" ? "qwen2-7b" : "qwen2-0.5b"]!)
        let vision = LLaVAVision(randomTower: .so400m, languageWidth: lm.config.hidden, fp32: false)
        let build = Date().timeIntervalSince(loadStart)

        var rng = SplitMix64(seed: 5)
        func text(_ n: Int) -> [Int32] { (0..<n).map { _ in Int32(rng.uniform(below: 150_000)) } }
        let head = text(20), conversation = text(textTokens)
        let image = LMSequence.embeddingTokens(rows: vision.rows)
        let prompts = (0..<14).map { _ in head + image + conversation + text(queryTokens) }
        let stylerPrompt = head + image + conversation + text(40)
        let styleNames = (0..<9).map { _ in text(4) }
        let size = vision.tower.config.imageSize
        let pixels = Tensor(shape: [3, size, size], data: (0..<3 * size * size).map { _ in Float.random(in: -1...1, using: &rng) })

        _ = vision.embeddings(pixels: pixels)  // warm-up: first-touch of every weight page
        var t = Date()
        let embeddings = vision.embeddings(pixels: pixels)
        let visionSeconds = Date().timeIntervalSince(t)
        let scorerTimes = Qwen2.PhaseTimes(), stylerTimes = Qwen2.PhaseTimes()
        _ = lm.answers(prompts: prompts, embeddings: embeddings, probe: Array(15...20),
                       options: .init(maxNewTokens: scorerAnswer), times: scorerTimes)
        _ = lm.answerWithCandidates(prompt: stylerPrompt, candidates: styleNames, embeddings: embeddings,
                                    options: .init(maxNewTokens: stylerAnswer), times: stylerTimes)

        // The official procedure: per prompt the vision tower, a full prefill and the answer's decode.
        t = Date()
        for p in prompts.prefix(officialPasses) {
            let rows = vision.embeddings(pixels: pixels)
            _ = lm.greedy(prompt: p, options: .init(maxNewTokens: scorerAnswer), embeddings: rows)
        }
        let officialScorerPass = Date().timeIntervalSince(t) / Double(officialPasses)
        t = Date()
        _ = lm.greedy(prompt: stylerPrompt, options: .init(maxNewTokens: stylerAnswer), embeddings: vision.embeddings(pixels: pixels))
        let officialStyler = Date().timeIntervalSince(t)

        let scorer = visionSeconds + scorerTimes.prefill + scorerTimes.batch + scorerTimes.decode
        let styler = visionSeconds + stylerTimes.prefill + stylerTimes.batch + stylerTimes.decode
        let official = 14 * officialScorerPass + officialStyler
        let sharedTokens = head.count + image.count + conversation.count
        if json {
            let object: [String: Any] = [
                "synthetic": synthetic, "threads": Parallel.threads, "build_seconds": build,
                "prompt_tokens": prompts[0].count, "shared_prefix_tokens": sharedTokens,
                "vision_seconds": visionSeconds, "scorer_prefill_seconds": scorerTimes.prefill,
                "scorer_continuations_seconds": scorerTimes.batch + scorerTimes.decode,
                "styler_prefill_seconds": stylerTimes.prefill, "styler_decode_seconds": stylerTimes.batch + stylerTimes.decode,
                "scorer_seconds": scorer, "styler_seconds": styler, "total_seconds": scorer + styler,
                "official_seconds": official, "official_passes_run": officialPasses + 1,
                "speedup_vs_official": official / (scorer + styler), "peak_rss_mb": peakRSSMegabytes(),
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        func f(_ x: Double, _ d: Int = 1) -> String { String(format: "%.\(d)f", x) }
        print("teacher \(synthetic) (Qwen2 + SigLIP-so400m, int8, random weights built in \(f(build)) s), \(Parallel.threads) threads")
        print("sample: \(prompts[0].count) prompt tokens (\(image.count) image rows), 14 prompts sharing \(sharedTokens)")
        print("  vision tower + projector   \(f(visionSeconds, 2)) s (once per teacher)")
        print("  scorer shared prefill      \(f(scorerTimes.prefill, 2)) s (\(f(Double(sharedTokens) / scorerTimes.prefill)) tokens/s)")
        print("  scorer 14 continuations    \(f(scorerTimes.batch + scorerTimes.decode, 2)) s (\(14 * queryTokens) tokens batched, \(scorerAnswer) decode steps)")
        print("  styler prefill             \(f(stylerTimes.prefill, 2)) s")
        print("  styler answer + 9 names    \(f(stylerTimes.batch + stylerTimes.decode, 2)) s (\(stylerAnswer) decode steps)")
        print("scorer \(f(scorer)) s + styler \(f(styler)) s = \(f(scorer + styler)) s per sample")
        print("official procedure on this engine: 14 x \(f(officialScorerPass)) s + \(f(officialStyler)) s = \(f(official)) s per sample (\(officialPasses + 1) passes run): \(f(official / (scorer + styler), 1))x slower")
        print("peak RSS \(f(peakRSSMegabytes(), 0)) MB")
    }
}
