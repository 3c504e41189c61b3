import Dispatch
import Scorer
import Synchronization

/// SPEC §5, `--method mmssr`, step for step.
///
/// Layout for speed at millions of rows: per capability the candidates (ok rows above the threshold, score
/// descending, idx ascending) are sorted once and laid out in their bins once (`CapabilityBins`), the
/// capabilities in parallel; the selection loop then only keeps bin sizes current as rows are taken and
/// reads each bin as far as it picks. The outcome does not depend on the parallelism.
struct MMSSRSelector {
    private let store: ScoreStore
    private let options: SelectionOptions
    private let labels: BinLabels

    init(store: ScoreStore, options: SelectionOptions) {
        self.store = store
        self.options = options
        labels = BinLabels(store: store)
    }

    private func isCandidate(_ r: Int, _ c: Int) -> Bool {
        let v = store.scores[c][r]
        return store.ok[r] && !v.isNaN && v > options.threshold
    }

    /// The ok rows with score_c > threshold, by score descending then idx ascending, as `row << 32 | signature`.
    ///
    /// Keys are made in idx order (ties by row), so a stable sort on the score alone orders ties by idx.
    private func candidates(_ c: Int, rowsByIdx: [Int32]?) -> [UInt64] {
        let threshold = options.threshold
        var keys = [UInt64](repeating: 0, count: store.count)
        var n = 0
        store.scores[c].withUnsafeBufferPointer { column in
            store.ok.withUnsafeBufferPointer { ok in
                keys.withUnsafeMutableBufferPointer { keys in
                    for rank in 0..<column.count {
                        let r = rowsByIdx.map { Int($0[rank]) } ?? rank
                        let v = column[r]
                        // Same test as isCandidate (NaN fails `>`).
                        guard ok[r], v > threshold else { continue }
                        // Order-preserving map of the float to UInt32, inverted so that a higher score sorts first.
                        let bits = (v == 0 ? Float(0) : v).bitPattern
                        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
                        keys[n] = UInt64(~ascending) << 32 | UInt64(rank)
                        n += 1
                    }
                }
            }
        }
        keys.removeLast(keys.count - n)
        RadixSort.sort(&keys, sortedLowBits: 32)
        labels.signature.withUnsafeBufferPointer { signature in
            keys.withUnsafeMutableBufferPointer { keys in
                for i in keys.indices {
                    let rank = Int(UInt32(truncatingIfNeeded: keys[i]))
                    let row = rowsByIdx.map { Int($0[rank]) } ?? rank
                    keys[i] = UInt64(row) << 32 | UInt64(UInt32(signature[row]))
                }
            }
        }
        return keys
    }

    /// Rows by idx ascending (ties by row); nil when that is row order (a table in idx order, the usual case).
    private func rowsByIdx() -> [Int32]? {
        if zip(store.idx, store.idx.dropFirst()).allSatisfy({ $0 <= $1 }) { return nil }
        return Array(0..<Int32(store.count)).sorted {
            store.idx[Int($0)] != store.idx[Int($1)] ? store.idx[Int($0)] < store.idx[Int($1)] : $0 < $1
        }
    }

    func select(budget: Int) -> Selection {
        let caps = options.capabilities
        let rowsByIdx = rowsByIdx()
        // Sorting and binning dominate; capabilities are independent, so spread them over the cores.
        let built = Mutex<[Int: CapabilityBins]>([:])
        DispatchQueue.concurrentPerform(iterations: caps.count) { k in
            let bins = CapabilityBins(entries: candidates(caps[k], rowsByIdx: rowsByIdx), labels: labels)
            built.withLock { $0[k] = bins }
        }
        var bins = built.withLock { done in caps.indices.map { done[$0]! } }
        // Bit k: the row is a candidate of caps[k] (for the first 16), so taking a row updates only its bins.
        var candidateOf = [UInt16](repeating: 0, count: store.count)
        let threshold = options.threshold
        for (k, c) in caps.enumerated().prefix(16) {
            store.scores[c].withUnsafeBufferPointer { column in
                store.ok.withUnsafeBufferPointer { ok in
                    candidateOf.withUnsafeMutableBufferPointer { mask in
                        for r in 0..<column.count where ok[r] && column[r] > threshold { mask[r] |= 1 << UInt16(k) }
                    }
                }
            }
        }

        var taken = [Bool](repeating: false, count: store.count)
        var chosen: [Int32] = []
        chosen.reserveCapacity(budget)
        var perCapability = Array(repeating: 0, count: caps.count)
        var active = Array(caps.indices)
        var scratch = BinScratch(labelCount: labels.count, rowCount: store.count)
        while chosen.count < budget && !active.isEmpty {
            var per = max((budget - chosen.count) / active.count, 1)
            var exhausted: [Int] = []
            for k in active {
                per = min(per, budget - chosen.count)
                let new = bins[k].select(per, taken: taken, labels: labels, scratch: &scratch)
                if new.isEmpty { exhausted.append(k) } else {
                    for r in new {
                        let r = Int(r)
                        taken[r] = true
                        for j in bins.indices where j < 16 ? candidateOf[r] >> UInt16(j) & 1 == 1 : isCandidate(r, caps[j]) {
                            bins[j].remove(row: r, labels: labels)
                        }
                    }
                    chosen += new
                    perCapability[k] += new.count
                }
                if chosen.count >= budget { break }
            }
            active.removeAll { exhausted.contains($0) }
        }
        return Selection(budget: budget, rows: chosen, perCapability: perCapability)
    }
}
