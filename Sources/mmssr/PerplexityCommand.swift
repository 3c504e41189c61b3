import ArgumentParser
import Foundation
import Scorer

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a Qwen2 language model on a text file.",
        discussion: """
        The text is tokenized without special tokens and cut into consecutive windows of --ctx tokens (the last \
        partial window dropped). In each window the NLL of tokens 2..ctx given those before them in the window \
        is taken; perplexity = exp(mean over all scored tokens). The last line is `perplexity: X`.
        """)

    @Option(help: "A Qwen2 GGUF (llama.cpp's or mmssr's).")
    var model: String

    @Option(help: "The text file.")
    var file: String

    @Option(help: "Tokens per window.")
    var ctx = 512

    @Flag(help: "Run the matrices in fp32 (default int8).")
    var fp32 = false

    @Flag(help: "Print the result as one JSON object (last line).")
    var json = false

    func validate() throws {
        guard ctx >= 2 else { throw ValidationError("--ctx must be at least 2") }
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read") }
        let lm = try LanguageModelFile(path: model, fp32: fp32)
        try lm.checkContext(ctx)
        let ids = lm.tokenizer.encode(String(decoding: data, as: UTF8.self), allowSpecial: false)
        let windows = ids.count / ctx
        guard windows > 0 else { throw CLIError("\(file): \(ids.count) tokens, fewer than one window of \(ctx)") }
        var sum = 0.0, scored = 0
        for w in 0..<windows {
            let nll = lm.model.negativeLogLikelihoods(Array(ids[w * ctx ..< (w + 1) * ctx]))
            sum += nll.reduce(0, +)
            scored += nll.count
            if !json { print("window \(w + 1)/\(windows): running perplexity \(String(format: "%.4f", exp(sum / Double(scored))))") }
        }
        let ppl = exp(sum / Double(scored))
        if json {
            print("{\"perplexity\": \(ppl), \"windows\": \(windows), \"tokens\": \(scored), \"precision\": \"\(lm.model.precision)\"}")
        } else {
            print("perplexity: \(String(format: "%.4f", ppl))")
        }
    }
}
