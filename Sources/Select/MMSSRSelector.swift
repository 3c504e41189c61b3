import Scorer

/// SPEC §5, `--method mmssr`, step for step. Per capability the candidate list (ok rows above the threshold,
/// score descending, idx ascending) is sorted once; each SELECT call then walks it skipping rows already
/// taken, so the work per call is linear in the candidates and no row is ever copied.
struct MMSSRSelector {
    private let store: ScoreStore
    private let options: SelectionOptions
    /// Bin labels (style, source) of row r: `labels[labelStart[r]..<labelStart[r + 1]]`.
    private var labelStart: [Int32] = []
    private var labels: [Int32] = []
    /// Position of each label in ascending order of its text "style+source", for tie-breaking equal bins.
    private var labelRank: [Int32] = []

    init(store: ScoreStore, options: SelectionOptions) {
        self.store = store
        self.options = options
        buildLabels()
    }

    private mutating func buildLabels() {
        var ids: [Int64: Int32] = [:]
        var texts: [String] = []
        labelStart.reserveCapacity(store.count + 1)
        labelStart.append(0)
        labels.reserveCapacity(store.styleIds.count)
        for r in 0..<store.count {
            let src = Int64(store.source[r])
            for s in store.styles(of: r) {
                let key = Int64(s) << 32 | src
                if let id = ids[key] { labels.append(id); continue }
                let id = Int32(texts.count)
                ids[key] = id
                texts.append(store.styleNames[Int(s)] + "+" + store.sourceNames[Int(src)])
                labels.append(id)
            }
            labelStart.append(Int32(labels.count))
        }
        // Byte order of UTF-8 equals code-point order, the order Python's `sorted` uses on str.
        let order = texts.indices.sorted { texts[$0].utf8.lexicographicallyPrecedes(texts[$1].utf8) }
        labelRank = Array(repeating: 0, count: texts.count)
        for (rank, id) in order.enumerated() { labelRank[id] = Int32(rank) }
    }

    /// Ranks (see `select`) of the ok rows with score_c > threshold, by score descending then idx ascending.
    private func candidates(_ c: Int, idxRank: [UInt32]) -> [Int32] {
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
        return keys.map { Int32(bitPattern: UInt32(truncatingIfNeeded: $0)) }
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
        var lists: [[Int32]] = caps.map { c in candidates(c, idxRank: idxRank).map { rowByRank[Int($0)] } }

        var taken = [Bool](repeating: false, count: store.count)
        var chosen: [Int32] = []
        chosen.reserveCapacity(budget)
        var perCapability = Array(repeating: 0, count: caps.count)
        var active = Array(caps.indices)
        var scratch = SelectScratch(labelCount: labelRank.count, rowCount: store.count)
        while chosen.count < budget && !active.isEmpty {
            var per = max((budget - chosen.count) / active.count, 1)
            var exhausted: [Int] = []
            for k in active {
                per = min(per, budget - chosen.count)
                lists[k].removeAll { taken[Int($0)] }
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

    /// SELECT(D, n) of SPEC §5.
    private func binnedSelect(_ d: [Int32], _ n: Int, _ s: inout SelectScratch) -> [Int32] {
        guard !d.isEmpty else { return [] }
        s.generation += 1
        var bins: [Int32] = []
        var depth = 0
        for r in d {
            let lo = Int(labelStart[Int(r)]), hi = Int(labelStart[Int(r) + 1])
            depth = max(depth, hi - lo)
            for l in labels[lo..<hi] {
                if s.size[Int(l)] == 0 { bins.append(l) }
                s.size[Int(l)] += 1
            }
        }
        guard !bins.isEmpty else { return [] }
        bins.sort { a, b in s.size[Int(a)] != s.size[Int(b)] ? s.size[Int(a)] < s.size[Int(b)] : labelRank[Int(a)] < labelRank[Int(b)] }
        // Lay the bins out contiguously: for k = 1, 2, ... each row's k-th label, in D order.
        var total = 0
        for l in bins {
            s.start[Int(l)] = Int32(total)
            s.fill[Int(l)] = Int32(total)
            total += Int(s.size[Int(l)])
        }
        if s.members.count < total { s.members = [Int32](repeating: 0, count: total) }
        for k in 0..<depth {
            for r in d {
                let lo = Int(labelStart[Int(r)]), hi = Int(labelStart[Int(r) + 1])
                guard lo + k < hi else { continue }
                let l = Int(labels[lo + k])
                s.members[Int(s.fill[l])] = r
                s.fill[l] += 1
            }
        }
        let quota = max(n / bins.count, 1)
        var debt = 0
        var sel: [Int32] = []
        for l in bins {
            if sel.count >= n { break }
            let range = Int(s.start[Int(l)])..<Int(s.start[Int(l)] + s.size[Int(l)])
            var avail = 0
            for i in range where s.pickedIn[Int(s.members[i])] != s.generation { avail += 1 }
            var take = min(quota + debt, avail)
            debt = max(quota + debt - avail, 0)
            take = min(take, n - sel.count)
            var i = range.lowerBound
            while take > 0 {
                let r = s.members[i]
                if s.pickedIn[Int(r)] != s.generation {
                    s.pickedIn[Int(r)] = s.generation
                    sel.append(r)
                    take -= 1
                }
                i += 1
            }
        }
        for l in bins { s.size[Int(l)] = 0 }
        return sel
    }
}

/// Buffers reused across SELECT calls so that a call allocates nothing proportional to the table.
private struct SelectScratch {
    var size: [Int32]
    var start: [Int32]
    var fill: [Int32]
    var members: [Int32] = []
    /// `pickedIn[r] == generation` marks rows already in this call's `sel`.
    var pickedIn: [UInt32]
    var generation: UInt32 = 0

    init(labelCount: Int, rowCount: Int) {
        size = Array(repeating: 0, count: labelCount)
        start = size
        fill = size
        pickedIn = Array(repeating: 0, count: rowCount)
    }
}
