import Foundation
import TestSupport
import XCTest
@testable import Scorer
@testable import Tensor

/// The official procedure on the real Qwen2.5-Coder-0.5B as a text-only teacher: the shared prefill of the
/// 14 capability prompts gives what 14 independent full passes give.
final class TeacherTests: XCTestCase {
    nonisolated(unsafe) static var cached: Teacher?

    func teacher() throws -> Teacher {
        if let t = Self.cached { return t }
        let t = try Teacher(path: try ModelPaths.require(ModelPaths.qwen2), fp32: true)
        Self.cached = t
        return t
    }

    static let conversation = [
        Turn(from: "human", value: "<image>\nWhat colour is the bus in the picture?"), Turn(from: "gpt", value: "The bus is red."),
        Turn(from: "human", value: "How many wheels can you see?"), Turn(from: "gpt", value: "Four."),
    ]

    func testSharedPrefillEqualsIndependentPasses() throws {
        let t = try teacher()
        let prompts = t.scorerPrompts(conversations: Self.conversation, image: nil)
        XCTAssertEqual(prompts.count, 14)
        let shared = Qwen2.commonPrefixLength(prompts)
        XCTAssertGreaterThan(shared, prompts[0].count - 20, "the prompts share all but the keyword's tokens")
        let answers = t.score(prompts: prompts, embeddings: nil, maxNewTokens: 4)
        // Three capabilities checked against full passes (all 14 cost two minutes of a shared 2-core machine).
        for c in [0, 6, 13] {
            let prompt = prompts[c]
            let hidden = t.language.forward([LMSequence(tokens: prompt, cache: t.language.makeCache(reserving: prompt.count))])
            let logits = t.language.logits(hidden.rows(hidden.rows - 1 ..< hidden.rows))
            let lp = t.language.logSoftmax(logits, limit: t.configuration.vocabularyLimit)[0]
            let independent = t.digitTokens.map { exp(lp[Int($0)]) }
            for (a, b) in zip(answers.digitProbabilities[c], independent) {
                XCTAssertLessThan(abs(a - b), 1e-5 * max(b, 1e-3), "capability \(Capabilities.keys[c]): digit probability")
            }
            let expected = independent.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element } / independent.reduce(0, +)
            XCTAssertEqual(Double(answers.scores[c]), expected, accuracy: 1e-4)
            let alone = t.language.greedy(prompt: prompt, options: t.greedyOptions(maxNewTokens: 4))
            XCTAssertEqual(t.officialResponse(alone), answers.responses[c], "capability \(Capabilities.keys[c]): greedy answer")
        }
    }

    func testStylerNamesAndLikelihoods() throws {
        let t = try teacher()
        let prompt = t.stylerPrompt(conversations: Self.conversation, image: nil)
        XCTAssertTrue(t.tokenizer.decode(prompt).hasSuffix("Styles: <|im_end|>\n<|im_start|>assistant\n"))
        let styled = t.style(prompt: prompt, embeddings: nil, maxNewTokens: 12)
        XCTAssertEqual(styled.logLikelihoods.count, 9)
        XCTAssertTrue(styled.logLikelihoods.allSatisfy { $0 < 0 && $0.isFinite })
        XCTAssertTrue(styled.styles.allSatisfy(Styles.names.contains))
        // The likelihood of each name equals teacher-forcing it after the whole prompt in one pass.
        let name = t.tokenizer.encode(Styles.names[3])
        let nll = t.language.negativeLogLikelihoods(prompt + name).suffix(name.count).reduce(0, +)
        XCTAssertEqual(Double(styled.logLikelihoods[3]), -nll, accuracy: 1e-3 * max(1, nll))
    }
}
