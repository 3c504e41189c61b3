import Foundation
import Scorer
@testable import Select
import Tensor
import XCTest

/// Hand-worked examples of SPEC §5; each comment shows the bins, quota and debt the expectation follows from.
final class SelectorTests: XCTestCase {
    static let spatial = Capabilities.keys.firstIndex(of: "spatial")!
    static let ocr = Capabilities.keys.firstIndex(of: "ocr")!

    static func row(_ idx: Int64, _ score: Float?, _ styles: String, _ source: String, ok: Bool = true, ocr: Float? = nil) -> ScoreRow {
        var r = ok ? ScoreRow(idx: idx, imageSource: source, styles: styles) : .failed(idx: idx, imageSource: source, error: "broken")
        if ok {
            r.scores[spatial] = score
            r.scores[Self.ocr] = ocr
        }
        return r
    }

    static func store(_ rows: [ScoreRow]) throws -> ScoreStore {
        var s = ScoreStore()
        for r in rows { try s.append(r) }
        return s
    }

    static func pick(_ rows: [ScoreRow], budget: Budget, caps: [Int] = [spatial], thr: Float = 0, method: SelectionOptions.Method = .mmssr) throws -> (idx: [Int64], selection: Selection) {
        let s = try store(rows)
        let sel = Selector.run(s, SelectionOptions(method: method, capabilities: caps, threshold: thr, budget: budget), poolSize: rows.count)
        return (sel.rows.map { s.idx[Int($0)] }, sel)
    }

    func testEqualSizedBinsTieByLabelThenTopUpRound() throws {
        // D = 0,1,2,3,4. Bins: multi-choice+A [0,1,2], yes/no+B [3], multi-choice+B [4].
        // Size order with label ties: multi-choice+B, yes/no+B, multi-choice+A; n = 4, quota = 4 // 3 = 1 -> 4, 3, 0.
        // Round 2: per = 1, D = [1, 2], one bin -> 1.
        let rows = [
            Self.row(0, 5, "multi-choice", "A"), Self.row(1, 4, "multi-choice", "A"), Self.row(2, 3, "multi-choice", "A"),
            Self.row(3, 2, "yes/no", "B"), Self.row(4, 1, "multi-choice", "B"),
        ]
        let (idx, sel) = try Self.pick(rows, budget: .count(4))
        XCTAssertEqual(idx, [4, 3, 0, 1])
        XCTAssertEqual(sel.shortfall, 0)
        XCTAssertNil(sel.warning)
        XCTAssertEqual(sel.perCapability, [4])
    }

    func testDebtCarriesToLaterBins() throws {
        // Bins by size: yes/no+A [20] (1), coordinate+A [21, 22] (2), multi-choice+A [0...9] (10).
        // n = 6, quota = 2: take 1 (debt 1), take 2 (debt 1), take 3 -> 20, 21, 22, 0, 1, 2.
        var rows = (0..<10).map { Self.row(Int64($0), 5 - Float($0) * 0.25, "multi-choice", "A") }
        rows += [Self.row(20, 1, "yes/no", "A"), Self.row(21, 1.5, "coordinate", "A"), Self.row(22, 0.5, "coordinate", "A")]
        let (idx, _) = try Self.pick(rows, budget: .count(6))
        XCTAssertEqual(idx, [20, 21, 22, 0, 1, 2])
    }

    func testTakeIsClampedToWhatTheCallStillNeeds() throws {
        // Row 0 is in multi-choice+A and yes/no+A; comparison+A [1,2,3]; short description+A [4,5,6].
        // n = 2, 4 bins, quota 1: multi-choice+A takes 0; yes/no+A has nothing left (debt 1);
        // comparison+A could take 2 but the call needs only 1 more -> 0, 1. (The official code returns 3 rows.)
        let rows = [
            Self.row(0, 5, "multi-choice, yes/no", "A"),
            Self.row(1, 4, "comparison", "A"), Self.row(2, 3.5, "comparison", "A"), Self.row(3, 3, "comparison", "A"),
            Self.row(4, 4.5, "short description", "A"), Self.row(5, 2, "short description", "A"), Self.row(6, 1, "short description", "A"),
        ]
        let (idx, sel) = try Self.pick(rows, budget: .count(2))
        XCTAssertEqual(idx, [0, 1])
        XCTAssertEqual(sel.rows.count, 2)
    }

    func testMultiStyleRowsEnterLaterBinsAfterFirstLabels() throws {
        // Bins are filled label position first: multi-choice+A = [1 (its 1st label), 0 (its 2nd label)],
        // yes/no+A = [0, 2, 3]. n = 2, quota 1: multi-choice+A (smaller) takes 1 although 0 scores higher, then
        // yes/no+A takes 0.
        let rows = [
            Self.row(0, 5, "yes/no, multi-choice", "A"), Self.row(1, 4, "multi-choice", "A"),
            Self.row(2, 3, "yes/no", "A"), Self.row(3, 2, "yes/no", "A"),
        ]
        XCTAssertEqual(try Self.pick(rows, budget: .count(2)).idx, [1, 0])
    }

    func testThresholdIsStrictAndErrorRowsNeverSelected() throws {
        let rows = [
            Self.row(0, 3, "yes/no", "A"), Self.row(1, 2, "yes/no", "A"), Self.row(2, 2.5, "yes/no", "A"),
            Self.row(3, nil, "yes/no", "A"), Self.row(4, 5, "yes/no", "A", ok: false),
        ]
        let (idx, sel) = try Self.pick(rows, budget: .count(3), thr: 2)
        XCTAssertEqual(idx, [0, 2])
        XCTAssertEqual(sel.shortfall, 1)
        XCTAssertEqual(sel.warning, "selected 2 of the budget 3: short by 1, not enough ok rows pass the threshold")
    }

    func testTiesByIdxWhateverTheTableOrder() throws {
        let rows = [Self.row(9, 4, "yes/no", "A"), Self.row(3, 4, "yes/no", "A"), Self.row(5, 4, "yes/no", "A"), Self.row(7, 4.5, "yes/no", "A")]
        XCTAssertEqual(try Self.pick(rows, budget: .count(3)).idx, [7, 3, 5])
    }

    func testCapabilitiesInGivenOrderAndRatioBudget() throws {
        // Budget floor(5 * 0.8) = 4, two caps: per = 2 each. ocr goes first because it is listed first.
        let rows = [
            Self.row(0, 5, "yes/no", "A", ocr: 0.5), Self.row(1, 4, "yes/no", "A", ocr: 1),
            Self.row(2, 1, "yes/no", "A", ocr: 5), Self.row(3, 0.5, "yes/no", "A", ocr: 4), Self.row(4, 3, "yes/no", "A", ocr: 3),
        ]
        let (idx, sel) = try Self.pick(rows, budget: .ratio(0.8), caps: [Self.ocr, Self.spatial])
        XCTAssertEqual(sel.budget, 4)
        XCTAssertEqual(idx, [2, 3, 0, 1])
        XCTAssertEqual(sel.perCapability, [2, 2])
    }

    func testRandomIsSeededUniformOverOkRows() throws {
        let rows = (0..<50).map { Self.row(Int64($0), 1, "yes/no", "A", ok: $0 % 5 != 0) }
        let a = try Self.pick(rows, budget: .count(20), method: .random)
        let b = try Self.pick(rows, budget: .count(20), method: .random)
        XCTAssertEqual(a.idx, b.idx)
        XCTAssertEqual(Set(a.idx).count, 20)
        XCTAssertTrue(a.idx.allSatisfy { $0 % 5 != 0 })
        let s = try Self.store(rows)
        let other = Selector.run(s, SelectionOptions(method: .random, capabilities: [0], budget: .count(20), seed: 1), poolSize: 50)
        XCTAssertNotEqual(other.rows.map { s.idx[Int($0)] }, a.idx)
        var rng = SplitMix64(seed: 0)
        XCTAssertEqual(rng.next(), 0xE220_A839_7B1D_CDAF)
    }

    func testScoreMethodTakesHighestMean() throws {
        let rows = [
            Self.row(0, 5, "yes/no", "A", ocr: 1), Self.row(1, 2, "yes/no", "A", ocr: 5), Self.row(2, 3, "yes/no", "A", ocr: 3),
            Self.row(3, 4, "yes/no", "A", ocr: nil),
        ]
        XCTAssertEqual(try Self.pick(rows, budget: .count(2), caps: [Self.spatial, Self.ocr], method: .score).idx, [1, 0])
    }

    func testBudgetParsing() {
        XCTAssertEqual(Budget("0.3"), .ratio(0.3))
        XCTAssertEqual(Budget("1000"), .count(1000))
        XCTAssertNil(Budget("0"))
        XCTAssertNil(Budget("1.5"))
        XCTAssertNil(Budget("-2"))
        XCTAssertNil(Budget("lots"))
        XCTAssertEqual(Budget.ratio(0.3).resolve(poolSize: 10), 3)
    }
}
