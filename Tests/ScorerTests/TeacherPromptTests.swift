import Foundation
import TestSupport
import XCTest
@testable import Scorer
import Tensor

/// The official prompt's quirks (SPEC §6, model_ss.py), on the real Qwen2 tokenizer.
final class TeacherPromptTests: XCTestCase {
    func tokenizer() throws -> BPETokenizer {
        try BPETokenizer(file: try GGUFFile(path: try ModelPaths.require(ModelPaths.qwen2)))
    }

    func testFormatConvsStripsTheCharacterSetAndKeepsHints() {
        let turns = [Turn(from: "human", value: "<image>\nName the tone"), Turn(from: "gpt", value: "Warm."),
                     Turn(from: "human", value: "Question: What is it?"), Turn(from: "gpt", value: "A cat."),
                     Turn(from: "human", value: "Hint: look left.\nQuestion: Which side?"), Turn(from: "gpt", value: "Left"),
                     Turn(from: "human", value: "<image>\nHint: two.\nHow many?"), Turn(from: "gpt", value: "2"),
                     Turn(from: "human", value: "  Quiet tone:  ")]
        XCTAssertEqual(OfficialPrompt.renderConversation(turns), [
            "Question: <image>\nName th Answer: Warm.",
            "Question: What is it? Answer: A cat.",
            "Hint: look left.\nQuestion: Which side? Answer: Left",
            "<image>\nHint: two.\nHow many? Answer: 2",
            "Question:  Answer: ",
        ].joined(separator: "\n"))
        XCTAssertEqual(PythonText.strip("Q\u{0301}uestion", characters: "Question: "), "\u{0301}", "code points, not characters")
        XCTAssertEqual(PythonText.strip("\u{1C}\u{85} x \u{A0}\n"), "x")
    }

    func testQueriesAreTheOfficialTexts() {
        XCTAssertEqual(OfficialPrompt.capabilityQuery(keyword: "stem knowledge"),
                       "On a scale of 0 to 5, how do you rate the helpfulness of the VQA instance in training a Multimodal Large Language Model for stem knowledge?")
        XCTAssertEqual(OfficialPrompt.styleQuery, "Interaction style candidates: [multi-choice, coordinate, yes/no, word/short-phrase, short description, detailed description, comparison, chain-of-thought (step-by-step), specified style]\nStyles: ")
    }

    func testTokenIDsFollowPreprocessQwen() throws {
        let t = try tokenizer(), p = try OfficialPromptTokenizer(tokenizer: t)
        let system: [Int32] = [151644] + t.encode("system") + [198] + t.encode("You are a helpful assistant.") + [151645, 198]
        let assistant: [Int32] = [151644] + t.encode("assistant") + [198]
        let image: [Int32] = [-1, -2, -3]
        let question = "Question: <image>\nWhat is it? Answer: A cat.\nOn a scale"
        let ids = p.ids(question: question, firstTurnFrom: "human", image: image)
        XCTAssertEqual(ids, system + [151644] + t.encode("user") + [198] + t.encode("Question: ") + image + [198]
                       + t.encode("\nWhat is it? Answer: A cat.\nOn a scale") + [151645, 198] + assistant)
        XCTAssertTrue(ids.indices.contains { ids[$0...].starts(with: image + [198, 198]) }, "the inserted newline, then the text's own")
        XCTAssertEqual(p.ids(question: question, firstTurnFrom: "human", image: nil),
                       system + [151644] + t.encode("user") + [198] + t.encode("Question: \nWhat is it? Answer: A cat.\nOn a scale")
                       + [151645, 198] + assistant, "no image shown: <image> removed, one piece")
        XCTAssertEqual(p.ids(question: question, firstTurnFrom: "gpt", image: image), system + assistant,
                       "a first turn not from human drops the user turn")
        let twice = p.ids(question: "<image>\na <image>\nb", firstTurnFrom: "human", image: image)
        XCTAssertEqual(twice.filter { $0 < 0 }, image + image, "a second <image> shows the same image")
    }
}
