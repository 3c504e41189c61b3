import Foundation

/// The two texts the text tower embeds for a sample: what the human asks and what the assistant answers,
/// each turn on its own line, with the `<image>` placeholders removed.
public struct SampleText: Sendable, Equatable {
    public let question: String
    public let answer: String

    public init(question: String, answer: String) {
        self.question = question
        self.answer = answer
    }

    public init(conversations: [Turn]) {
        func joined(_ role: String) -> String {
            conversations.filter { $0.from == role }.map { Self.stripImageTags($0.value) }.joined(separator: "\n")
        }
        self.init(question: joined("human"), answer: joined("gpt"))
    }

    /// Number of question-answer rounds.
    public static func rounds(_ conversations: [Turn]) -> Int {
        conversations.filter { $0.from == "human" }.count
    }

    static func stripImageTags(_ s: String) -> String {
        s.replacing("<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
