import Foundation

/// The two texts the text tower embeds for a sample: what the human asks and what the assistant answers,
/// each turn on its own line, with the `<image>` placeholders removed; and the same turns kept as
/// question-answer exchanges, because SPEC §1b judges the form of every exchange on its own (a multi-turn item
/// is yes/no when one of its exchanges is, and gets both description lengths when its answers span both).
public struct SampleText: Sendable, Equatable {
    /// One human turn and the assistant turns that answer it (joined by a newline when there are several).
    public struct Exchange: Sendable, Equatable {
        public let question: String
        public let answer: String

        public init(question: String, answer: String) {
            self.question = question
            self.answer = answer
        }
    }

    public let question: String
    public let answer: String
    public let exchanges: [Exchange]

    /// A single exchange.
    public init(question: String, answer: String) {
        self.init(question: question, answer: answer, exchanges: [Exchange(question: question, answer: answer)])
    }

    init(question: String, answer: String, exchanges: [Exchange]) {
        self.question = question
        self.answer = answer
        self.exchanges = exchanges
    }

    /// `characterLimit` cuts each of the two texts (and every turn before it is cleaned), so a giant turn costs
    /// no more than a long one: the text tower reads at most `text.max_tokens` tokens, and the surface features
    /// saturate long before (see `characterLimit(maxTokens:)`).
    public init(conversations: [Turn], characterLimit: Int = .max) {
        func cleaned(_ turn: Turn) -> String { Self.stripImageTags(String(turn.value.prefix(characterLimit))) }
        func joined(_ role: String) -> String {
            String(conversations.filter { $0.from == role }.map(cleaned).joined(separator: "\n").prefix(characterLimit))
        }
        // An assistant turn before any human turn answers an empty question; other roles are not exchanges.
        var exchanges = [(question: String, answers: [String])]()
        for turn in conversations {
            if turn.from == "human" {
                exchanges.append((cleaned(turn), []))
            } else if turn.from == "gpt" {
                if exchanges.isEmpty { exchanges.append(("", [])) }
                exchanges[exchanges.count - 1].answers.append(cleaned(turn))
            }
        }
        self.init(question: joined("human"), answer: joined("gpt"),
                  exchanges: exchanges.map { Exchange(question: $0.question, answer: $0.answers.joined(separator: "\n")) })
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
