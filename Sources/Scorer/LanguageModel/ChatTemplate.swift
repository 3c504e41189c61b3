import Tensor

/// Qwen2's ChatML prompt for one user turn, as `apply_chat_template(..., add_generation_prompt=True)` renders
/// it: system turn, user turn, then the assistant's start.
public struct ChatTemplate: Sendable {
    /// The system message used when none is given: the one the file's template writes (Qwen2.5: "You are
    /// Qwen, created by Alibaba Cloud. You are a helpful assistant."), else Qwen2's.
    public let defaultSystem: String

    public init(defaultSystem: String) { self.defaultSystem = defaultSystem }

    public init(file: GGUFFile) {
        let template = (try? file.string("tokenizer.chat_template")) ?? ""
        self.init(defaultSystem: Self.defaultSystem(in: template) ?? "You are a helpful assistant.")
    }

    public func render(user: String, system: String? = nil) -> String {
        "<|im_start|>system\n\(system ?? defaultSystem)<|im_end|>\n<|im_start|>user\n\(user)<|im_end|>\n<|im_start|>assistant\n"
    }

    /// The literal system message of a ChatML template: `'<|im_start|>system\n` + text + `<|im_end|>`.
    static func defaultSystem(in template: String) -> String? {
        let marker = "'<|im_start|>system\\n"
        var rest = template[...]
        while let start = rest.range(of: marker) {
            let tail = rest[start.upperBound...]
            if let end = tail.range(of: "<|im_end|>"), !tail[..<end.lowerBound].contains("'") {
                return String(tail[..<end.lowerBound])
            }
            rest = tail
        }
        return nil
    }
}
