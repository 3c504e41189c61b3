import Foundation
import XCTest
@testable import Scorer

final class BaselineTests: XCTestCase {
    // MARK: metrics, hand-worked

    func testStyleMacroF1HandWorked() {
        // style 0: TP 1 (item 0), FP 1 (item 1), FN 0 -> 2/3
        // style 1: TP 1 (item 1), FP 0, FN 1 (item 2)   -> 2/3
        // style 2: TP 0, FP 1 (item 2), FN 1 (item 3)   -> 0
        // macro = (2/3 + 2/3 + 0) / 3 = 4/9
        let p: [Set<Int>] = [[0], [0, 1], [2], []]
        let l: [Set<Int>] = [[0], [1], [1], [2]]
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: p, labelled: l, styleCount: 3), 4.0 / 9.0, accuracy: 1e-12)
        // a 4th style that nobody predicted or labelled is left out of the mean
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: p, labelled: l, styleCount: 4), 4.0 / 9.0, accuracy: 1e-12)
        // indices outside 0..<styleCount are ignored: style 2 drops out, (2/3 + 2/3) / 2
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: p, labelled: l, styleCount: 2), 2.0 / 3.0, accuracy: 1e-12)
        let per = ExampleMetrics.styleF1(predicted: p, labelled: l, styleCount: 4)
        XCTAssertEqual(per[0]!, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(per[2]!, 0, accuracy: 1e-12)
        XCTAssertNil(per[3])
    }

    func testStyleMacroF1Edges() {
        let l: [Set<Int>] = [[0, 3], [1], [8]]
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: l, labelled: l, styleCount: 9), 1, accuracy: 1e-12)
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: [[], [], []], labelled: l, styleCount: 9), 0, accuracy: 1e-12)
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: [], labelled: [], styleCount: 9), 1, accuracy: 1e-12)
        // one style, 3 items: TP 2, FP 1, FN 1 -> 4 / 6
        XCTAssertEqual(ExampleMetrics.styleMacroF1(predicted: [[0], [0], [0], []], labelled: [[0], [0], [], [0]], styleCount: 1),
                       2.0 / 3.0, accuracy: 1e-12)
    }

    func testTop3HandWorked() {
        let scores: [[Float]] = [
            [0, 3, 1, 2, 5],           // top 3: 4, 1, 3        labels {3} -> hit
            [1, 1, 1, 1, 1],           // all tied: 0, 1, 2     labels {3} -> miss (ties by SPEC order)
            [0, .nan, 2, 0, 0],        // 2, then 0, 3 (ties)   labels {1} -> miss (NaN ranks last)
            [2, 2, 0, 2, 2],           // 0, 1, 3               labels {3} -> hit
        ]
        let labels: [Set<Int>] = [[3], [3], [1], [3]]
        XCTAssertEqual(ExampleMetrics.topK(scores[0], k: 3), [4, 1, 3])
        XCTAssertEqual(ExampleMetrics.topK(scores[1], k: 3), [0, 1, 2])
        XCTAssertEqual(ExampleMetrics.topK(scores[2], k: 3), [2, 0, 3])
        XCTAssertEqual(ExampleMetrics.topK(scores[3], k: 3), [0, 1, 3])
        XCTAssertEqual(ExampleMetrics.top3HitRate(scores: scores, labelled: labels), 0.5, accuracy: 1e-12)
        XCTAssertEqual(ExampleMetrics.top3HitRate(scores: [], labelled: []), 0)
        XCTAssertEqual(ExampleMetrics.top3HitRate(scores: [[5, 4, 3, 2]], labelled: [[]]), 0)  // no label: a miss
    }

    // MARK: the baselines themselves

    func testRegexStylerRules() {
        let S = RegexStyler.self
        XCTAssertEqual(S.styles(question: "<image>\nWhat is it?\nA. cat\nB. dog\nC. cow", answer: "B"), [S.multiChoice])
        XCTAssertEqual(S.styles(question: "Which one? (a) red (b) blue", answer: "(b) blue"), [S.multiChoice])
        XCTAssertEqual(S.styles(question: "How many?\nOptions: 2, 3, 4", answer: "3"), [S.multiChoice])
        XCTAssertEqual(S.styles(question: "Bounding box of the dog.", answer: "[0.12, 0.34, 0.56, 0.78]"), [S.coordinate])
        XCTAssertEqual(S.styles(question: "What is in [0.1, 0.2, 0.3, 0.4]?", answer: "A dog."), [S.coordinate])
        XCTAssertEqual(S.styles(question: "Is it raining?", answer: "No, the sky is clear."), [S.yesNo])
        XCTAssertEqual(S.styles(question: "Is it raining?", answer: "Nope"), [S.shortPhrase])  // plain: only yes/no
        XCTAssertEqual(S.styles(question: "Compare the two cars.", answer: "The red one is older."), [S.comparison])
        XCTAssertEqual(S.styles(question: "Solve it step by step.", answer: "x = 2"), [S.chainOfThought])
        XCTAssertEqual(S.styles(question: "Return JSON with keys a, b.", answer: "{\"a\": 1}"), [S.specified])
        XCTAssertEqual(S.styles(question: "Color?", answer: "Dark red"), [S.shortPhrase])
        let twenty = Array(repeating: "word", count: 20).joined(separator: " ")
        XCTAssertEqual(S.styles(question: "Describe it.", answer: twenty), [S.shortDescription])
        let eighty = Array(repeating: "word", count: 80).joined(separator: " ")
        XCTAssertEqual(S.styles(question: "Describe it.", answer: eighty), [S.detailedDescription])
    }

    func testKeywordScorer() {
        let s = KeywordCapabilityScorer.scores(text: "What colour is the car on the left? The car is red.")
        XCTAssertEqual(s.count, 14)
        XCTAssertEqual(s[0], 1)  // spatial: left
        XCTAssertEqual(s[1], 2)  // attribute: colour, red
        XCTAssertEqual(s[13], 0)
        // phrases count in sequence; counts saturate at 5
        let p = KeywordCapabilityScorer.scores(text: "How many? how MANY! left left left left left left left")
        XCTAssertEqual(p[1], 2)
        XCTAssertEqual(p[0], 5)
        XCTAssertEqual(ExampleMetrics.topK(KeywordCapabilityScorer.scores(text: ""), k: 3), [0, 1, 2])
    }

    // MARK: the bundled example pool (example/pool.json + example/labels.json)

    static let capKeys = ["spatial", "attribute", "logical", "scene", "finegrained", "language", "incontext",
                          "comparative", "activity", "causal", "humanities", "stem", "data", "ocr"]
    static let styleNames = ["multi-choice", "coordinate", "yes/no", "word/short-phrase", "short description",
                             "detailed description", "comparison", "chain-of-thought (step-by-step)", "specified style"]

    func testExamplePoolBaseline() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let poolURL = root.appendingPathComponent("example/pool.json")
        let labelsURL = root.appendingPathComponent("example/labels.json")
        guard FileManager.default.fileExists(atPath: poolURL.path) else { throw XCTSkip("no example/pool.json") }
        let pool = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: poolURL)) as? [[String: Any]])
        let labels = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: labelsURL)) as? [[String: Any]])
        XCTAssertEqual(pool.count, labels.count)
        XCTAssertTrue((60...72).contains(pool.count))

        var capLabels: [Set<Int>] = [], styleLabels: [Set<Int>] = []
        var predStyles: [Set<Int>] = [], capScores: [[Float]] = []
        var capCount = [Int](repeating: 0, count: 14), styleCount = [Int](repeating: 0, count: 9)
        for (i, (item, lab)) in zip(pool, labels).enumerated() {
            XCTAssertEqual(lab["idx"] as? Int, i)
            let caps = try XCTUnwrap(lab["capabilities"] as? [String]).map { try XCTUnwrap(Self.capKeys.firstIndex(of: $0), $0) }
            let sty = try XCTUnwrap(lab["styles"] as? [String]).map { try XCTUnwrap(Self.styleNames.firstIndex(of: $0), $0) }
            XCTAssertTrue((1...3).contains(caps.count)); XCTAssertTrue((1...2).contains(sty.count))
            caps.forEach { capCount[$0] += 1 }; sty.forEach { styleCount[$0] += 1 }
            capLabels.append(Set(caps)); styleLabels.append(Set(sty))

            let turns = try XCTUnwrap(item["conversations"] as? [[String: String]])
            let q = turns.filter { $0["from"] == "human" }.compactMap { $0["value"] }.joined(separator: "\n")
            let a = turns.filter { $0["from"] == "gpt" }.compactMap { $0["value"] }.joined(separator: "\n")
            predStyles.append(RegexStyler.styles(question: q, answer: a))
            capScores.append(KeywordCapabilityScorer.scores(text: q + "\n" + a))
        }
        XCTAssertTrue(capCount.allSatisfy { $0 >= 4 }, "\(capCount)")
        XCTAssertTrue(styleCount.allSatisfy { $0 >= 4 }, "\(styleCount)")

        let f1 = ExampleMetrics.styleMacroF1(predicted: predStyles, labelled: styleLabels, styleCount: 9)
        let hit = ExampleMetrics.top3HitRate(scores: capScores, labelled: capLabels)
        let per = ExampleMetrics.styleF1(predicted: predStyles, labelled: styleLabels, styleCount: 9)
        print(String(format: "example pool: %d items; baseline style macro-F1 %.3f, top-3 capability hit rate %.3f", pool.count, f1, hit))
        for (name, v) in zip(Self.styleNames, per) { print("  " + name.padding(toLength: 34, withPad: " ", startingAt: 0) + String(format: "F1 %.3f", v ?? .nan)) }
        // The baseline is a reference point, not a target: it must be clearly imperfect on this pool.
        XCTAssertGreaterThan(f1, 0.2); XCTAssertLessThan(f1, 0.9)
        XCTAssertGreaterThan(hit, 0.3); XCTAssertLessThan(hit, 1.0)
    }
}
