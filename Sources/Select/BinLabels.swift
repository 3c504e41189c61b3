import Scorer

/// The SPEC §5 bin labels ("style+source") of every row, compactly.
///
/// A row's labels depend only on its (source, style list), its "signature"; signatures are few, so their
/// labels sit in a small cache-resident table and a row carries just its signature number.
struct BinLabels: Sendable {
    /// Signature of each row.
    private(set) var signature: [Int32] = []
    /// Labels of signature g: `labels[labelStart[g]..<labelStart[g + 1]]`, in the row's style order.
    private(set) var labelStart: [Int32] = [0]
    private(set) var labels: [Int32] = []
    /// Position of each label in ascending order of its text, for tie-breaking equal bins.
    private(set) var rank: [Int32] = []

    /// Number of distinct labels.
    var count: Int { rank.count }

    init(store: ScoreStore) {
        var signatureOf: [UInt64: Int32] = [:]
        var labelOf: [UInt64: Int32] = [:]
        var texts: [String] = []
        signature.reserveCapacity(store.count)
        for r in 0..<store.count {
            let src = UInt64(UInt32(store.source[r]))
            let key = src << 32 | UInt64(UInt32(store.styleSet[r]))
            if let g = signatureOf[key] { signature.append(g); continue }
            let g = Int32(signatureOf.count)
            signatureOf[key] = g
            signature.append(g)
            for s in store.styles(of: r) {
                let labelKey = UInt64(s) << 32 | src
                if let l = labelOf[labelKey] { labels.append(l); continue }
                let l = Int32(texts.count)
                labelOf[labelKey] = l
                texts.append(store.styleNames[Int(s)] + "+" + store.sourceNames[Int(src)])
                labels.append(l)
            }
            labelStart.append(Int32(labels.count))
        }
        // Byte order of UTF-8 equals code-point order, the order Python's `sorted` uses on str.
        let order = texts.indices.sorted { texts[$0].utf8.lexicographicallyPrecedes(texts[$1].utf8) }
        rank = Array(repeating: 0, count: texts.count)
        for (position, id) in order.enumerated() { rank[id] = Int32(position) }
    }

    /// Range in `labels` of row r's labels.
    @inline(__always)
    func range(ofRow r: Int) -> Range<Int> {
        let g = Int(signature[r])
        return Int(labelStart[g])..<Int(labelStart[g + 1])
    }
}
