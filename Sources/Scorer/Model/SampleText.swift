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

    /// `characterLimit` cuts each of the two texts (and every turn before it is cleaned), so a giant turn costs
    /// no more than a long one: the text tower reads at most `text.max_tokens` tokens, and the surface features
    /// saturate long before (see `characterLimit(maxTokens:)`).
    public init(conversations: [Turn], characterLimit: Int = .max) {
        func joined(_ role: String) -> String {
            let turns = conversations.filter { $0.from == role }.map { Self.stripImageTags(String($0.value.prefix(characterLimit))) }
            return String(turns.joined(separator: "\n").prefix(characterLimit))
        }
        self.init(question: joined("human"), answer: joined("gpt"))
    }

    /// Characters worth keeping for a text tower of `maxTokens` tokens: real text spends 4-6 characters per
    /// WordPiece token, so 64 per token leaves the tokens the tower sees unchanged for anything but whitespace or
    /// giant-word padding.
    public static func characterLimit(maxTokens: Int) -> Int { maxTokens * 64 }

    /// Number of question-answer rounds.
    public static func rounds(_ conversations: [Turn]) -> Int {
        conversations.filter { $0.from == "human" }.count
    }

    static func stripImageTags(_ s: String) -> String {
        s.replacing("<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
