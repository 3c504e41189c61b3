import Foundation

/// The official mmSSR prompts, transcribed from `lyumengyao/mmssr` (`llava/eval/model_ss.py` and
/// `config/ss.py`; SPEC §6), quirks included:
/// - `format_convs` strips the character SET of "Question: " from both ends of every human turn
///   (`str.strip('Question: ')`: "Name the tone" becomes "Name th"), except turns starting with `Hint:`;
/// - `preprocess_qwen` tokenizes every piece by a separate call and drops the user turn altogether when the
///   first turn is not from `human`.
public enum OfficialPrompt {
    /// The scorer's question for one capability keyword.
    public static func capabilityQuery(keyword: String) -> String {
        "On a scale of 0 to 5, how do you rate the helpfulness of the VQA instance in training a Multimodal Large Language Model for \(keyword)?"
    }

    /// The styler's question: the candidates in the official order, then "Styles: " for the answer.
    public static let styleQuery = "Interaction style candidates: [" + Styles.names.joined(separator: ", ") + "]\nStyles: "

    /// `format_convs`: one line per human turn (every even index, whatever its `from`), "Question: ..." and
    /// " Answer: " plus the next turn's value when there is one.
    public static func renderConversation(_ turns: [Turn]) -> String {
        stride(from: 0, to: turns.count, by: 2).map { i in
            let value = turns[i].value
            let question = value.hasPrefix("<image>\nHint:") || value.hasPrefix("Hint:")
                ? value : "Question: " + PythonText.strip(value, characters: "Question: ")
            return question + " Answer: " + (i + 1 < turns.count ? turns[i + 1].value : "")
        }.joined(separator: "\n")
    }

    /// `qs`: the rendered conversation, a newline, the query (the repository's current release: no extra
    /// leading newline).
    public static func question(conversation turns: [Turn], query: String) -> String {
        renderConversation(turns) + "\n" + query
    }
}

/// `preprocess_qwen`'s token ids for one question, with the tokenizer's ChatML ids.
public struct OfficialPromptTokenizer: Sendable {
    public let tokenizer: BPETokenizer
    public let systemMessage: String
    let imStart: Int32, imEnd: Int32, newline: [Int32]

    public init(tokenizer: BPETokenizer, systemMessage: String = "You are a helpful assistant.") throws(TeacherError) {
        guard let s = tokenizer.id(of: "<|im_start|>"), let e = tokenizer.id(of: "<|im_end|>") else {
            throw .invalidModel("the tokenizer has no <|im_start|> / <|im_end|> tokens (not a Qwen2 chat tokenizer)")
        }
        self.tokenizer = tokenizer
        self.systemMessage = systemMessage
        imStart = s
        imEnd = e
        newline = tokenizer.encode("\n")
    }

    /// The prompt's ids. `image` replaces each `<image>` of the question (followed by the newline the official
    /// code inserts); nil when there is no image to show (a text-only item, or a teacher without a vision
    /// tower): the question is then tokenized whole with its `<image>` marks removed.
    /// `firstTurnFrom` is the pool item's first `from`: anything but `human` drops the user turn, as officially.
    public func ids(question: String, firstTurnFrom: String, image: [Int32]?) -> [Int32] {
        var ids = [imStart] + tokenizer.encode("system") + newline + tokenizer.encode(systemMessage) + [imEnd] + newline
        if firstTurnFrom == "human" {
            ids += tokenizer.encode("<|im_start|>user") + newline
            if let image, question.contains("<image>") {
                let pieces = question.components(separatedBy: "<image>")
                for (i, piece) in pieces.enumerated() {
                    ids += tokenizer.encode(piece)
                    if i < pieces.count - 1 { ids += image + newline }
                }
            } else {
                ids += tokenizer.encode(question.replacingOccurrences(of: "<image>", with: ""))
            }
            ids += [imEnd] + newline
        }
        return ids + tokenizer.encode("<|im_start|>assistant") + newline
    }
}
