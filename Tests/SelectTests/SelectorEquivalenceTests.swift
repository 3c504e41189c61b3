import Scorer
@testable import Select
import Tensor
import XCTest

/// The mmSSR selector with bins kept across calls must pick exactly the rows, in exactly the order, of the
/// previous one that re-binned every call (`PreviousMMSSRSelector`), including top-up rounds, exhausted
/// capabilities, shortfalls, rows without styles, repeated capabilities and unsorted or repeated idx.
final class SelectorEquivalenceTests: XCTestCase {
    func testMatchesThePreviousSelectorOnRandomTables() throws {
        var rng = SplitMix64(seed: 19)
        for trial in 0..<150 {
            var rows = SelectorPropertyTests.randomRows(50 + Int(rng.uniform(below: 1500)), &rng)
            for i in rows.indices {
                if rng.uniform(below: 20) == 0 { rows[i].styles = "" }
                if trial % 3 == 0, rng.uniform(below: 10) == 0 { rows[i].idx = rows[Int(rng.uniform(below: UInt64(rows.count)))].idx }
            }
            if trial % 4 == 0 { rows.sort { $0.idx < $1.idx } }
            var caps = Array(Array(0..<14).shuffled(using: &rng).prefix(1 + Int(rng.uniform(below: 14))))
            if trial % 10 == 0 { caps += caps.prefix(2) }
            let thr = [Float(0), 1.5, 3.5, 4.5][Int(rng.uniform(below: 4))]
            let budget = Int(rng.uniform(below: UInt64(rows.count + 10))) + 1
            var store = ScoreStore()
            for r in rows { try store.append(r) }
            let options = SelectionOptions(capabilities: caps, threshold: thr, budget: .count(budget))
            let current = MMSSRSelector(store: store, options: options).select(budget: budget)
            let previous = PreviousMMSSRSelector(store: store, options: options).select(budget: budget)
            XCTAssertEqual(current.rows, previous.rows, "trial \(trial)")
            XCTAssertEqual(current.perCapability, previous.perCapability, "trial \(trial)")
        }
    }
}
