import ArgumentParser
import CBLAS
import Foundation
import Scorer
import Tensor

/// `mmssr bench lm`: prefill and decode speed of a Qwen2 model, and how close its linear layers run to the
/// machine's int8 peak.
struct BenchLM: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lm",
        abstract: "Qwen2 prefill and decode tokens/s, the linear layers' share and fraction of the int8 peak, RSS.",
        discussion: """
            Prefill runs --prompt-tokens random token ids in one forward (logits of the last position only), then \
            decode generates --gen-tokens one at a time. The linear layers' time is measured by running every \
            matrix of the model alone on a --prompt-tokens-row input (the same GEMMs as the prefill), and their \
            GOP/s is compared with the int8 peak measured here (vpdpbusd per cycle x 64 x 2 x clock per core, or AVX2's \
            vpmaddwd + vpaddd x 16 x 2 without VNNI; \
            AMX can exceed it). --synthetic builds random weights with the named shapes in memory (no file).
            """)

    @Option(help: "A Qwen2 GGUF.")
    var model: String?

    @Option(help: "Random weights with these shapes instead of a file: qwen2-0.5b or qwen2-7b.")
    var synthetic: String?

    @Option(help: "Prompt tokens of the prefill.")
    var promptTokens = 1024

    @Option(help: "Tokens generated in the decode phase.")
    var genTokens = 32

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(help: "Run the matrices in fp32 (default int8).")
    var fp32 = false

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    func validate() throws {
        guard (model == nil) != (synthetic == nil) else { throw ValidationError("give --model FILE or --synthetic NAME") }
        guard promptTokens >= 1, genTokens >= 1 else { throw ValidationError("--prompt-tokens and --gen-tokens must be at least 1") }
        if let t = threads, t < 1 { throw ValidationError("--threads must be at least 1") }
        if let s = synthetic, Self.shapes[s] == nil { throw ValidationError("--synthetic: one of \(Self.shapes.keys.sorted().joined(separator: ", "))") }
    }

    static let shapes: [String: Qwen2Configuration] = [
        "qwen2-0.5b": Qwen2Configuration(layers: 24, hidden: 896, intermediate: 4864, heads: 14, kvHeads: 2, contextLength: 32768,
                                         ropeTheta: 1_000_000, rmsNormEps: 1e-6, vocabularySize: 151_936, tiedEmbedding: true),
        "qwen2-7b": Qwen2Configuration(layers: 28, hidden: 3584, intermediate: 18944, heads: 28, kvHeads: 4, contextLength: 32768,
                                       ropeTheta: 1_000_000, rmsNormEps: 1e-6, vocabularySize: 152_064, tiedEmbedding: false),
    ]

    func run() throws {
        if let threads { Parallel.setThreads(threads) }
        let loadStart = Date()
        let lm: Qwen2
        if let synthetic {
            lm = Qwen2(randomWeights: Self.shapes[synthetic]!, fp32: fp32)
        } else {
            lm = try LanguageModelFile(path: model!, fp32: fp32).model
        }
        let load = Date().timeIntervalSince(loadStart)
        let c = lm.config
        guard promptTokens + genTokens <= c.contextLength else { throw CLIError("--prompt-tokens + --gen-tokens exceed the context of \(c.contextLength)") }
        var rng = SplitMix64(seed: 1)
        let prompt = (0..<promptTokens).map { _ in Int32(rng.uniform(below: UInt64(c.vocabularySize))) }

        _ = lm.forward([LMSequence(tokens: Array(prompt.prefix(8)), cache: lm.makeCache())])  // warm-up
        let cache = lm.makeCache(reserving: promptTokens + genTokens)
        var t0 = Date()
        let hidden = lm.forward([LMSequence(tokens: prompt, cache: cache)])
        _ = lm.logits(hidden.rows(hidden.rows - 1 ..< hidden.rows))
        let prefill = Date().timeIntervalSince(t0)
        t0 = Date()
        for i in 0..<genTokens {
            let h = lm.forward([LMSequence(tokens: [prompt[i % prompt.count]], cache: cache)])
            _ = lm.logits(h)
        }
        let decode = Date().timeIntervalSince(t0)

        let (linearSeconds, linearOps) = lm.timeLinearLayers(rows: promptTokens)
        let peak = Int8Peak.measure()
        let ghz = peak.ghz, peakPerCore = peak.gopsPerCore
        let cores = Double(Parallel.threads)
        let linearGOPs = linearOps / linearSeconds / 1e9
        let result: [String: Any] = [
            "model": model ?? synthetic!, "precision": lm.precision, "threads": Parallel.threads,
            "prompt_tokens": promptTokens, "gen_tokens": genTokens, "load_seconds": load,
            "prefill_tokens_per_s": Double(promptTokens) / prefill, "decode_tokens_per_s": Double(genTokens) / decode,
            "prefill_seconds": prefill, "linear_share_of_prefill": min(1, linearSeconds / prefill),
            "linear_gops": linearGOPs, "int8_peak_gops": peakPerCore * cores,
            "linear_fraction_of_int8_peak": peakPerCore > 0 ? linearGOPs / (peakPerCore * cores) : 0,
            "peak_rss_mb": peakRSSMegabytes(),
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(model ?? synthetic!) (\(lm.precision), \(c.layers) layers, \(c.hidden) wide, \(c.heads)/\(c.kvHeads) heads), \(Parallel.threads) threads, loaded in \(f(load, 1)) s")
        print("prefill \(promptTokens) tokens: \(f(Double(promptTokens) / prefill, 1)) tokens/s (\(f(prefill, 2)) s)")
        print("decode \(genTokens) tokens: \(f(Double(genTokens) / decode, 1)) tokens/s")
        print("linear layers: \(f(100 * min(1, linearSeconds / prefill), 0))% of the prefill, \(f(linearGOPs, 0)) GOP/s = \(f(100 * linearGOPs / (peakPerCore * cores), 0))% of the int8 peak (\(f(peakPerCore * cores, 0)) GOP/s on \(Int(cores)) cores at \(f(ghz, 2)) GHz, \(peak.summary))")
        print("peak RSS \(f(peakRSSMegabytes(), 0)) MB")
    }
}
