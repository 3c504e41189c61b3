/// One capability's candidates laid out in their SPEC §5 bins once, kept across SELECT calls.
///
/// SELECT(D, n) bins D afresh on every call, and D only ever loses rows (those taken by any capability).
/// Building the bins from the first D and skipping taken rows when reading gives the same bins in the same
/// order, so instead of re-binning millions of candidates to pick tens of thousands, each call sorts the
/// few hundred bin sizes (kept current as rows are taken) and reads each bin only as far as it picks.
struct CapabilityBins: Sendable {
    /// Per label: candidates not yet taken that carry it (= |bin| in the current D).
    private var size: [Int32]
    /// Bin l is `members[start[l]..<start[l + 1]]`: the rows in SPEC order (by k-th label, then D order).
    private var start: [Int32]
    private var members: [Int32]
    /// Per label: every member of the bin before this index is taken, so reading starts here.
    private var cursor: [Int32]

    /// `entries`: the candidates in D order (score descending, idx ascending), each `row << 32 | signature`
    /// so that binning reads them sequentially instead of looking rows' signatures up at random.
    init(entries: [UInt64], labels: BinLabels) {
        let labelCount = labels.count
        // A bin holds the rows with it as 1st label in D order, then those with it as 2nd label, ...:
        // count each (label, k) slot, then place every row in one pass.
        let depth = max(1, zip(labels.labelStart, labels.labelStart.dropFirst()).map { Int($1 - $0) }.max() ?? 1)
        var slot = [Int32](repeating: 0, count: labelCount * depth)
        var size = [Int32](repeating: 0, count: labelCount)
        var start = [Int32](repeating: 0, count: labelCount + 1)
        var members: [Int32] = []
        labels.labelStart.withUnsafeBufferPointer { starts in
            labels.labels.withUnsafeBufferPointer { labels in
                slot.withUnsafeMutableBufferPointer { slot in
                    for e in entries {
                        let g = Int(UInt32(truncatingIfNeeded: e))
                        let lo = Int(starts[g])
                        for i in lo..<Int(starts[g + 1]) { slot[Int(labels[i]) * depth + i - lo] += 1 }
                    }
                    var offset: Int32 = 0
                    for l in 0..<labelCount {
                        start[l] = offset
                        for k in 0..<depth {
                            let n = slot[l * depth + k]
                            slot[l * depth + k] = offset
                            offset += n
                        }
                        size[l] = offset - start[l]
                    }
                    start[labelCount] = offset
                    members = [Int32](repeating: 0, count: Int(offset))
                    members.withUnsafeMutableBufferPointer { members in
                        for e in entries {
                            let g = Int(UInt32(truncatingIfNeeded: e))
                            let lo = Int(starts[g])
                            for i in lo..<Int(starts[g + 1]) {
                                let s = Int(labels[i]) * depth + i - lo
                                members[Int(slot[s])] = Int32(truncatingIfNeeded: e >> 32)
                                slot[s] += 1
                            }
                        }
                    }
                }
            }
        }
        self.size = size
        self.start = start
        self.members = members
        cursor = Array(start.dropLast())
    }

    /// Row r (a candidate of this capability) was taken: it leaves its bins.
    mutating func remove(row r: Int, labels: BinLabels) {
        for i in labels.range(ofRow: r) { size[Int(labels.labels[i])] -= 1 }
    }

    /// SELECT(D, n) of SPEC §5 on the current D (candidates not in `taken`).
    mutating func select(_ n: Int, taken: [Bool], labels: BinLabels, scratch s: inout BinScratch) -> [Int32] {
        var bins: [Int32] = []
        for l in size.indices where size[l] > 0 { bins.append(Int32(l)) }
        guard !bins.isEmpty else { return [] }
        let size = self.size
        bins.sort { a, b in size[Int(a)] != size[Int(b)] ? size[Int(a)] < size[Int(b)] : labels.rank[Int(a)] < labels.rank[Int(b)] }
        s.generation += 1
        let generation = s.generation
        for l in bins { s.pickedInBin[Int(l)] = 0 }
        let quota = max(n / bins.count, 1)
        var debt = 0
        var sel: [Int32] = []
        for l in bins {
            if sel.count >= n { break }
            let l = Int(l)
            // Rows of this bin already in sel were counted when picked, so avail needs no scan.
            let avail = Int(size[l] - s.pickedInBin[l])
            var take = min(quota + debt, avail)
            debt = max(quota + debt - avail, 0)
            take = min(take, n - sel.count)
            var i = Int(cursor[l])
            let end = Int(start[l + 1])
            while i < end, taken[Int(members[i])] { i += 1 }
            cursor[l] = Int32(i)
            // `avail` untaken, unpicked members remain, so the bin cannot run out before `take` reaches 0.
            while take > 0, i < end {
                let r = Int(members[i])
                i += 1
                guard !taken[r], s.pickedIn[r] != generation else { continue }
                s.pickedIn[r] = generation
                sel.append(Int32(r))
                take -= 1
                for j in labels.range(ofRow: r) { s.pickedInBin[Int(labels.labels[j])] += 1 }
            }
        }
        return sel
    }
}

/// Buffers reused across SELECT calls so that a call allocates nothing proportional to the table.
struct BinScratch {
    var pickedInBin: [Int32]
    /// `pickedIn[r] == generation` marks rows already in this call's `sel`.
    var pickedIn: [UInt32]
    var generation: UInt32 = 0

    init(labelCount: Int, rowCount: Int) {
        pickedInBin = Array(repeating: 0, count: labelCount)
        pickedIn = Array(repeating: 0, count: rowCount)
    }
}
