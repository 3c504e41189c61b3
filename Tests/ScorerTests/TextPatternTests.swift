import Foundation
import Tensor
import TestSupport
import XCTest
@testable import Scorer

/// ICU stands in for Swift's `Regex` on plain text (`TextPattern`): the surface features, the style verdicts and
/// the texts the rules rewrite must come out the same as with Swift's `Regex` alone, on the realistic pools and on
/// generated text built from the fragments the patterns look for.
final class TextPatternTests: XCTestCase {
    private struct Outcome: Equatable {
        let features: [Float]
        let verdict: StyleRules.Verdict
        /// What the rules rewrite and split, per exchange: answer without coordinates, question without code.
        let rewritten: [String]
    }

    private func outcome(_ text: SampleText, rounds: Int) -> Outcome {
        Outcome(features: SurfaceFeatures.compute(text, rounds: rounds), verdict: StyleRules.judge(text.exchanges),
                rewritten: text.exchanges.flatMap { [StyleRules.withoutCoordinates($0.answer), StyleRules.withoutCode($0.question)] })
    }

    private func assertEnginesAgree(_ samples: [(SampleText, Int)], file: StaticString = #filePath, line: UInt = #line) {
        var plain = 0
        for (text, rounds) in samples {
            let both = outcome(text, rounds: rounds)
            let swift = TextPattern.$swiftOnly.withValue(true) { outcome(text, rounds: rounds) }
            XCTAssertEqual(both, swift, "\(text.exchanges)", file: file, line: line)
            if TextPattern.isPlain(text.question) && TextPattern.isPlain(text.answer) { plain += 1 }
        }
        // Enough of the texts must take the ICU path, or the comparison says little.
        XCTAssertGreaterThan(plain, samples.count / 4, file: file, line: line)
    }

    func testRealisticPoolsGiveTheSameFeaturesAndVerdicts() throws {
        var samples: [(SampleText, Int)] = []
        for split in ["dev", "test"] {
            let pool = ModelPaths.repository.appendingPathComponent("example/realistic/\(split)/pool.json").path
            let reader = try PoolReader(path: pool, options: .init(keepRaw: false))
            while let item = try reader.next() {
                samples.append((SampleText(conversations: item.conversations), SampleText.rounds(item.conversations)))
            }
        }
        XCTAssertEqual(samples.count, 508)
        assertEnginesAgree(samples)
    }

    /// Fragments that each pattern looks for, their near misses, and the punctuation, case and line breaks the
    /// two engines could disagree on (word boundaries at apostrophes and full stops, `$` before a newline).
    private static let fragments = [
        "A.", "B)", "(C)", "(d) ", "c:", "H.", "I.", "Options:", "choices are:", "Candidates include:", "one of:",
        "choose from", "[0.1, 0.2, 0.3, 0.4]", "[12, 30, 45, 60]", "[-3, 4.5, 6, 7]", "(1, 2), (3, 4)", "[0.5, 0.7]",
        "[.5,.25]", "[1, 2]", "```", "```x = 1```", "`code`", "step 1", "Step 2:", "step-by-step", "step by step",
        "Let's think", "lets think", "think step", "perform reasoning", "show your work", "Lecture:", "Solution:",
        "because:", "2 + 3 = 5", "x=4", "y = (2", "3 * 4", "6/2", "7 - 1", "a^2", "=", "+", "compare", "Comparison",
        "differences", "similarities", "versus", "vs.", "vs", "in common", "are the same", "taller than", "rather than",
        "other than", "more red than", "less", "fewer", "or", "more", "both images", "two regions", "left image",
        "right photo", "which is higher", "Who is the tallest", "which one is more", "in the following format",
        "format:", "in a table", "as a list", "JSON", "csv", "yaml", "LaTeX", "HTML", "markdown", "bullet points",
        "numbered list", "panel by panel", "give the rationale", "with a rationale", "hashtags", "in the style of",
        "Stable Diffusion", "rhyming", "write a poem", "Compose a tweet", "create an advertisement", "tell me a joke",
        "write a short story", "at least 150 words", "under 80 words", "a 100-word", "in one paragraph",
        "three haikus", "exactly 3 sentences", "the answer is", "The final answer is", "the correct option is",
        "Answer:", "answer :", "Therefore", "thus", "Hence", "So", "so", "First", "Second", "Next", "then", "Finally",
        "Lastly", "Now", "how many", "count", "number of", "colour", "colors", "Is there", "are there", "written",
        "text", "sign", "says", "label", "logo", "letters", "example", "examples", "->", "=>", "why", "purpose",
        "reasons", "caused", "happening", "next", "consequences", "breed", "species", "landmark", "who is",
        "what kind", "name of", "e.g.", "i.e.", "etc.", "Dr.", "R. L. Hendricks", "don't", "it's", "isn't", "dog's",
        "1.", "2)", "10.", "yes", "Yes", "No", "no,", "True", "false", "Is", "Does", "Can", "Were", "?", "!", ".",
        ",", ";", ":", "'", "\"", "(", ")", "[", "]", "_", "-", "x", "dog", "the", "a", "image", "picture", "photo",
        "regions", "A", "B", "STOP", "12", "3.5", "$4.50", "1,000", "json", "caption", "haiku", "extract",
        "convert the", "respond with", "same format", "exactly", "tweet", "bullet", "detail", "describe", "explain",
        "what is happening", "tell me about", "whereas", "both", "unlike", "compared", "def ", "return ", "{", "};",
        "#include", "import ", "format:step", "because:yes", "Options:A", "A:B",
    ]
    /// Rare, so that most texts stay plain: they send the whole text to Swift's `Regex`.
    private static let unusual = ["°", "√", "é", "×", "\u{2028}", "\r\n", "\u{0B}"]
    private static let separators = [" ", " ", " ", "", "\n", "\n\n", ". ", ", ", "\t", "  ", " \n"]

    private static func generated(_ rng: inout SplitMix64) -> String {
        (0..<Int(1 + rng.next() % 30)).map { _ in
            let fragment = rng.next() % 300 == 0 ? unusual[Int(rng.next() % UInt64(unusual.count))]
                : fragments[Int(rng.next() % UInt64(fragments.count))]
            let cased = rng.next() % 5 == 0 ? fragment.uppercased() : fragment
            return cased + separators[Int(rng.next() % UInt64(separators.count))]
        }.joined()
    }

    func testGeneratedTextsGiveTheSameFeaturesAndVerdicts() {
        var rng = SplitMix64(seed: 17)
        let samples = (0..<3000).map { _ -> (SampleText, Int) in
            let turns = (0..<Int(1 + rng.next() % 3)).flatMap { _ in
                [Turn(from: "human", value: Self.generated(&rng)), Turn(from: "gpt", value: Self.generated(&rng))]
            }
            return (SampleText(conversations: turns), SampleText.rounds(turns))
        }
        assertEnginesAgree(samples)
    }

    func testOnlyPlainTextGoesToICU() {
        XCTAssertTrue(TextPattern.isPlain("Is it red?\n\tA. yes"))
        XCTAssertTrue(TextPattern.isPlain("Options: A. 3:4 a:"))
        for text in ["a\r\nb", "caf\u{E9}", "x\u{0B}y", "\u{1F600}", "format:step"] { XCTAssertFalse(TextPattern.isPlain(text), text) }
    }
}
