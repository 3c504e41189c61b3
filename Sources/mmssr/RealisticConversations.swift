import Foundation
import Scorer
import Tensor

/// Bench conversations with the shapes of the realistic development set (example/realistic, issue 17): each
/// generated item copies the round count and the per-turn question and answer lengths of one item drawn at
/// random from the set's dev and test pools, and fills them with LLaVA-like words. So the length
/// distribution (one to four rounds, answers from a letter to over a thousand characters) is the set's own,
/// and follows it when the set changes; the words are generated, so no sample text is reused.
struct RealisticConversations {
    /// Per item of the set: the characters of each round's question and answer (`<image>` tags removed).
    let shapes: [[(question: Int, answer: Int)]]
    /// The pools the shapes were read from.
    let pools: [String]

    init(directory: String) throws {
        var shapes: [[(question: Int, answer: Int)]] = [], pools: [String] = []
        for split in ["dev", "test"] {
            let path = (directory as NSString).appendingPathComponent("\(split)/pool.json")
            guard FileManager.default.fileExists(atPath: path) else { continue }
            let reader: PoolReader
            do { reader = try PoolReader(path: path, options: .init(keepRaw: false)) } catch { throw CLIError("cannot read \(path): \(error)") }
            while let item = try reader.next() {
                var rounds: [(question: Int, answer: Int)] = []
                for turn in item.conversations {
                    let length = turn.value.replacing("<image>", with: "").trimmingCharacters(in: .whitespacesAndNewlines).count
                    if turn.from == "human" {
                        rounds.append((length, 0))
                    } else if turn.from == "gpt", !rounds.isEmpty {
                        rounds[rounds.count - 1].answer += length
                    }
                }
                if !rounds.isEmpty { shapes.append(rounds) }
            }
            pools.append(path)
        }
        guard !shapes.isEmpty else {
            throw CLIError("realistic texts need \(directory)/dev/pool.json or test/pool.json (run from the repository root or pass --realistic)")
        }
        self.shapes = shapes
        self.pools = pools
    }

    /// A stable name for this set of shapes, so a cached bench pool is rebuilt when the set changes.
    var fingerprint: String {
        let chars = shapes.reduce(0) { $0 + $1.reduce(0) { $0 + $1.question + $1.answer } }
        return "\(shapes.count)x\(chars)"
    }

    /// Mean characters (questions and answers) and rounds per item of the set.
    var meanCharacters: Double {
        Double(shapes.reduce(0) { $0 + $1.reduce(0) { $0 + $1.question + $1.answer } }) / Double(shapes.count)
    }

    var meanRounds: Double { Double(shapes.reduce(0) { $0 + $1.count }) / Double(shapes.count) }

    /// The (question, answer) rounds of one generated conversation.
    func conversation(_ rng: inout SplitMix64) -> [(String, String)] {
        shapes[Int(rng.next() % UInt64(shapes.count))].map { round in
            (Self.text(characters: round.question, ending: "?", &rng), Self.text(characters: round.answer, ending: ".", &rng))
        }
    }

    private static let shortAnswers = ["A", "B", "C", "D", "4", "no", "12", "Yes", "red", "left", "None"]
    private static let words = """
        the image shows a small red bus parked near wooden bench in front of an old building with large windows \
        and several people walking along street while sky is clear blue there are two dogs playing on green grass \
        to left side right background tall trees cars table plate food woman holding umbrella man wearing dark \
        jacket sign reads open chart values increase from 2019 answer because first then therefore step which \
        color how many what where this photo taken describe detail region box option likely suggests scene bright \
        light window shelf books cat sleeping under lamp kitchen counter bowl fruit bicycle ride road mountain lake
        """.split(separator: " ").map(String.init)

    /// Words in sentences of 6 to 17, cut to exactly `characters` (a short answer when there is no room for words).
    static func text(characters: Int, ending: Character, _ rng: inout SplitMix64) -> String {
        guard characters > 0 else { return "" }
        if characters < 8 {
            let fitting = shortAnswers.filter { $0.count <= characters }
            return fitting[Int(rng.next() % UInt64(fitting.count))]
        }
        var s = ""
        while s.count < characters {
            let n = 6 + Int(rng.next() % 12)
            var sentence = (0..<n).map { _ in words[Int(rng.next() % UInt64(words.count))] }.joined(separator: " ")
            sentence = sentence.prefix(1).uppercased() + sentence.dropFirst()
            s += (s.isEmpty ? "" : " ") + sentence + String(ending)
        }
        return String(s.prefix(characters - 1)).trimmingCharacters(in: .whitespaces) + String(ending)
    }
}
