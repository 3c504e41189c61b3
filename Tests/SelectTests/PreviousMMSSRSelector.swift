import Scorer
@testable import Select

/// The mmSSR selector as it was before per-capability bins were kept across calls (commit 3445f87), kept
/// verbatim as the reference the current one must match row for row.
///
/// Layout for speed at millions of rows: each row's bin labels depend only on its (source, style list), its
/// "signature"; signatures are few, so their labels sit in a small cache-resident table. Per capability the
/// candidates (ok rows above the threshold, score descending, idx ascending) are sorted once, each entry
/// packing row and signature into a UInt64, so a SELECT call streams through its list sequentially instead
/// of chasing rows across memory.
struct PreviousMMSSRSelector {
    private let store: ScoreStore
    private let options: SelectionOptions
    /// The bin labels come from the current code (`BinLabels`, unchanged in meaning): the reference is the
    /// selection logic around them.
    private let binLabels: BinLabels
    private var signature: [Int32] { binLabels.signature }
    private var labelStart: [Int32] { binLabels.labelStart }
    private var labels: [Int32] { binLabels.labels }
    private var labelRank: [Int32] { binLabels.rank }

    init(store: ScoreStore, options: SelectionOptions) {
        self.store = store
        self.options = options
        binLabels = BinLabels(store: store)
    }

    /// Ranks (see `select`) of the ok rows with score_c > threshold, by score descending then idx ascending.
    private func candidateRanks(_ c: Int, idxRank: [UInt32]) -> [UInt64] {
        let column = store.scores[c]
        var keys: [UInt64] = []
        for r in 0..<store.count where store.ok[r] {
            let v = column[r]
            guard !v.isNaN, v > options.threshold else { continue }
            // Order-preserving map of the float to UInt32, inverted so that a higher score sorts first.
            let bits = (v == 0 ? Float(0) : v).bitPattern
            let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
            keys.append(UInt64(~ascending) << 32 | UInt64(idxRank[r]))
        }
        RadixSort.sort(&keys)
        return keys
    }

    func select(budget: Int) -> Selection {
        let caps = options.capabilities
        // Rank of every row by idx (ties by row), so a sort key fits in 64 bits; tables are usually in idx order.
        var rowByRank = Array(0..<Int32(store.count))
        if !zip(store.idx, store.idx.dropFirst()).allSatisfy({ $0 <= $1 }) {
            rowByRank.sort { store.idx[Int($0)] != store.idx[Int($1)] ? store.idx[Int($0)] < store.idx[Int($1)] : $0 < $1 }
        }
        var idxRank = [UInt32](repeating: 0, count: store.count)
        for (rank, r) in rowByRank.enumerated() { idxRank[Int(r)] = UInt32(rank) }
        // Entries: row << 32 | signature.
        var lists: [[UInt64]] = caps.map { c in
            var keys = candidateRanks(c, idxRank: idxRank)
            for i in keys.indices {
                let row = rowByRank[Int(UInt32(truncatingIfNeeded: keys[i]))]
                keys[i] = UInt64(UInt32(row)) << 32 | UInt64(UInt32(signature[Int(row)]))
            }
            return keys
        }

        var taken = [Bool](repeating: false, count: store.count)
        var chosen: [Int32] = []
        chosen.reserveCapacity(budget)
        var perCapability = Array(repeating: 0, count: caps.count)
        var active = Array(caps.indices)
        var scratch = PreviousSelectScratch(labelCount: labelRank.count, rowCount: store.count)
        while chosen.count < budget && !active.isEmpty {
            var per = max((budget - chosen.count) / active.count, 1)
            var exhausted: [Int] = []
            for k in active {
                per = min(per, budget - chosen.count)
                lists[k].removeAll { taken[Int($0 >> 32)] }
                let new = binnedSelect(lists[k], per, &scratch)
                if new.isEmpty { exhausted.append(k) } else {
                    for r in new { taken[Int(r)] = true }
                    chosen += new
                    perCapability[k] += new.count
                }
                if chosen.count >= budget { break }
            }
            active.removeAll { exhausted.contains($0) }
        }
        return Selection(budget: budget, rows: chosen, perCapability: perCapability)
    }

    /// SELECT(D, n) of SPEC §5; D's entries are row << 32 | signature. The hot loop of a selection, hence
    /// raw buffers: two sequential passes count the bins and lay them out, then each bin is read only as far
    /// as it gives rows.
    private func binnedSelect(_ d: [UInt64], _ n: Int, _ s: inout PreviousSelectScratch) -> [Int32] {
        guard !d.isEmpty else { return [] }
        s.generation += 1
        let generation = s.generation
        var bins: [Int32] = []
        var depth = 0
        var total = 0
        labelStart.withUnsafeBufferPointer { starts in
            labels.withUnsafeBufferPointer { labels in
                s.size.withUnsafeMutableBufferPointer { size in
                    for e in d {
                        let g = Int(UInt32(truncatingIfNeeded: e))
                        let lo = Int(starts[g]), hi = Int(starts[g + 1])
                        depth = max(depth, hi - lo)
                        total += hi - lo
                        for i in lo..<hi {
                            let l = Int(labels[i])
                            if size[l] == 0 { bins.append(Int32(l)) }
                            size[l] += 1
                        }
                    }
                }
            }
        }
        guard !bins.isEmpty else { return [] }
        let size = s.size
        bins.sort { a, b in size[Int(a)] != size[Int(b)] ? size[Int(a)] < size[Int(b)] : labelRank[Int(a)] < labelRank[Int(b)] }
        if s.members.count < total { s.members = [Int32](repeating: 0, count: total) }
        var offset = 0
        for l in bins {
            s.start[Int(l)] = Int32(offset)
            s.fill[Int(l)] = Int32(offset)
            s.pickedInBin[Int(l)] = 0
            offset += Int(size[Int(l)])
        }
        // Bins in SPEC order: for k = 1, 2, ... each row's k-th label, in D order.
        labelStart.withUnsafeBufferPointer { starts in
            labels.withUnsafeBufferPointer { labels in
                s.fill.withUnsafeMutableBufferPointer { fill in
                    s.members.withUnsafeMutableBufferPointer { members in
                        for k in 0..<depth {
                            for e in d {
                                let g = Int(UInt32(truncatingIfNeeded: e))
                                let i = Int(starts[g]) + k
                                guard i < Int(starts[g + 1]) else { continue }
                                let l = Int(labels[i])
                                members[Int(fill[l])] = Int32(truncatingIfNeeded: e >> 32)
                                fill[l] += 1
                            }
                        }
                    }
                }
            }
        }
        let quota = max(n / bins.count, 1)
        var debt = 0
        var sel: [Int32] = []
        for l in bins {
            if sel.count >= n { break }
            // Rows of this bin already in sel were counted when picked, so avail needs no scan.
            let avail = Int(size[Int(l)] - s.pickedInBin[Int(l)])
            var take = min(quota + debt, avail)
            debt = max(quota + debt - avail, 0)
            take = min(take, n - sel.count)
            var i = Int(s.start[Int(l)])
            while take > 0 {
                let r = Int(s.members[i])
                i += 1
                guard s.pickedIn[r] != generation else { continue }
                s.pickedIn[r] = generation
                sel.append(Int32(r))
                take -= 1
                let g = Int(signature[r])
                for j in Int(labelStart[g])..<Int(labelStart[g + 1]) { s.pickedInBin[Int(labels[j])] += 1 }
            }
        }
        for l in bins { s.size[Int(l)] = 0 }
        return sel
    }
}

/// Buffers reused across SELECT calls so that a call allocates nothing proportional to the table.
private struct PreviousSelectScratch {
    var size: [Int32]
    var start: [Int32]
    var fill: [Int32]
    var pickedInBin: [Int32]
    var members: [Int32] = []
    /// `pickedIn[r] == generation` marks rows already in this call's `sel`.
    var pickedIn: [UInt32]
    var generation: UInt32 = 0

    init(labelCount: Int, rowCount: Int) {
        size = Array(repeating: 0, count: labelCount)
        start = size
        fill = size
        pickedInBin = size
        pickedIn = Array(repeating: 0, count: rowCount)
    }
}
