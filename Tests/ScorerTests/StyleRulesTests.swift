import XCTest
@testable import Scorer

/// SPEC §1b's definitions, one case per clause, on samples written for this test (none from example/realistic).
final class StyleRulesTests: XCTestCase {
    private func styles(_ turns: (String, String)...) -> Set<String> {
        let exchanges = turns.map { SampleText.Exchange(question: $0.0, answer: $0.1) }
        let flags = StyleRules.judge(exchanges).flags
        return Set(zip(Styles.names, flags).filter(\.1).map(\.0))
    }

    func testOptionsInThePromptMakeMultiChoiceAndABareLetterIsNothingElse() {
        XCTAssertEqual(styles(("Which fruit is yellow?\nA. apple\nB. banana\nC. plum\nAnswer with the option's letter.", "B")), ["multi-choice"])
        XCTAssertEqual(styles(("Pick the odd one. Options include: cat, dog, car.", "car")), ["multi-choice", "word/short-phrase"])
        // Options the prompt does not list do not make a question multi-choice.
        XCTAssertFalse(styles(("Is it a cat, a dog or a car?", "A car.")).contains("multi-choice"))
    }

    func testBoxesInTheQuestionOrTheAnswerAreCoordinates() {
        XCTAssertTrue(styles(("Where is the kite? Give its bounding box.", "[0.12, 0.30, 0.45, 0.62]")).contains("coordinate"))
        XCTAssertTrue(styles(("What is the object [120, 40, 300, 210]?", "A red umbrella.")).contains("coordinate"))
        XCTAssertFalse(styles(("What is 3 + 4?", "7")).contains("coordinate"))
    }

    func testYesNoIncludesYesNoOptionsAndAnyYesNoTurn() {
        XCTAssertEqual(styles(("Is there a dog in the image? Please answer yes or no.", "Yes")), ["yes/no"])
        XCTAssertTrue(styles(("Is the road wet?\nA. Yes\nB. No", "A")).contains("yes/no"))
        let turns = styles(("What colour is the bus?", "Red"), ("Is it moving?", "No, it is parked at the curb."))
        XCTAssertTrue(turns.isSuperset(of: ["yes/no", "word/short-phrase"]), "\(turns)")
    }

    func testPhrasesAreNotSentencesAndLengthSplitsDescriptions() {
        XCTAssertEqual(styles(("What is written on the sign?", "STOP")), ["word/short-phrase"])
        XCTAssertEqual(styles(("What is the man doing?", "The man is repairing a bicycle tyre on the pavement.")), ["short description"])
        let long = String(repeating: "The market stall is crowded with baskets of fruit and sacks of spice. ", count: 8)
        XCTAssertEqual(styles(("Describe the image in detail.", long)), ["detailed description"])
        let spanning = styles(("Describe the scene.", long), ("What is the stall's awning made of?", "It is made of striped canvas."))
        XCTAssertTrue(spanning.isSuperset(of: ["detailed description", "short description"]), "\(spanning)")
    }

    func testComparisonRequests() {
        XCTAssertTrue(styles(("Which bar is higher, 2019 or 2020?", "2020")).contains("comparison"))
        XCTAssertTrue(styles(("What are the differences between the two images?", "The left one has a cat and the right one does not.")).contains("comparison"))
        XCTAssertFalse(styles(("What is the cat sitting on?", "A windowsill.")).contains("comparison"))
    }

    func testStepsBeforeAFinalAnswerAreChainOfThought() {
        XCTAssertTrue(styles(("How much do three pens at $2 cost? Let's think step by step.", "Each pen costs $2. Three pens cost 3 x $2 = $6. The answer is 6.")).contains("chain-of-thought (step-by-step)"))
        XCTAssertTrue(styles(("Two tickets cost $9 each. What is the total?", "Each ticket is $9. Two tickets: 2 x 9 = 18, so $18.")).contains("chain-of-thought (step-by-step)"))
        // Answer first, then an explanation: not chain-of-thought.
        XCTAssertFalse(styles(("Why is the grass wet?", "Because it rained. The clouds are still dark.")).contains("chain-of-thought (step-by-step)"))
    }

    func testPrescribedFormatsAreSpecifiedButStandardHintsAreNot() {
        XCTAssertTrue(styles(("Write a short poem about the lighthouse.", "Tall and white it stands,\nguarding ships from rocky lands.")).contains("specified style"))
        XCTAssertTrue(styles(("Convert the table to CSV.", "name,age\nAna,31")).contains("specified style"))
        XCTAssertTrue(styles(("Reply in the format 'count: N'.", "count: 4")).contains("specified style"))
        XCTAssertFalse(styles(("What is the price? Answer the question using a single word or phrase.", "$4.50")).contains("specified style"))
        XCTAssertFalse(styles(("Is the door open? Please answer yes or no.", "No")).contains("specified style"))
    }
}
