import ArgumentParser
import Foundation
import Scorer

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Greedy text generation with a Qwen2 language model (GGUF).")

    @Option(help: "A Qwen2 GGUF (llama.cpp's or mmssr's).")
    var model: String

    @Option(help: "The prompt text.")
    var prompt: String

    @Option(help: "System message for --chat (default: the model's template's).")
    var system: String?

    @Flag(help: "Wrap the prompt in the Qwen2 chat template (system, user, assistant start).")
    var chat = false

    @Option(name: .short, help: "Tokens to generate at most.")
    var n = 64

    @Flag(help: "Run the matrices in fp32 (default int8).")
    var fp32 = false

    @Flag(help: "Print {\"ids\": [...], \"text\": ...}.")
    var json = false

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1") }
        if system != nil && !chat { throw ValidationError("--system needs --chat") }
    }

    func run() throws {
        let lm = try LanguageModelFile(path: model, fp32: fp32)
        let text = chat ? lm.chat.render(user: prompt, system: system) : prompt
        let ids = lm.tokenizer.encode(text)
        guard !ids.isEmpty else { throw CLIError("the prompt is empty") }
        try lm.checkContext(ids.count, extra: n)
        var generated = lm.model.greedy(prompt: ids, options: .init(maxNewTokens: n, stopTokens: lm.stopTokens))
        if let last = generated.last, lm.stopTokens.contains(last) { generated.removeLast() }
        let out = lm.tokenizer.decode(generated, skipSpecial: true)
        if json {
            let object: [String: Any] = ["ids": generated.map(Int.init), "text": out]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(out)
        }
    }
}
