/// The selection fields of the rows a byte-level reader has read but not yet added to its batch: the row being
/// read is set field by field, and whole rows go to the batch a block at a time (`flush`). Appending every field
/// of every row to the batch's 18 arrays one by one (a uniqueness and a capacity check each) was a tenth of a
/// CSV read.
struct RowScratch: ~Copyable {
    static let blockRows = 1024
    private static let capabilities = Capabilities.keys.count

    private let idxs = UnsafeMutablePointer<Int64>.allocate(capacity: blockRows)
    private let oks = UnsafeMutablePointer<Bool>.allocate(capacity: blockRows)
    private let sources = UnsafeMutablePointer<Int32>.allocate(capacity: blockRows)
    private let styleIds = UnsafeMutablePointer<Int32>.allocate(capacity: blockRows)
    /// Column-major: capability c of pending row r at `c * blockRows + r`.
    private let scoreBlock = UnsafeMutablePointer<Float>.allocate(capacity: blockRows * capabilities)
    /// Rows complete and waiting for `flush`; the row being read is row `pending`.
    private(set) var pending = 0

    init() { reset() }

    deinit {
        idxs.deallocate()
        oks.deallocate()
        sources.deallocate()
        styleIds.deallocate()
        scoreBlock.deallocate()
    }

    var idx: Int64 {
        get { idxs[pending] }
        nonmutating set { idxs[pending] = newValue }
    }
    var ok: Bool {
        get { oks[pending] }
        nonmutating set { oks[pending] = newValue }
    }
    /// An id of the batch's `sourceInterner`, or -1 for an absent cell ("").
    var source: Int32 {
        get { sources[pending] }
        nonmutating set { sources[pending] = newValue }
    }
    /// An id of the batch's `styleInterner`, or -1 for an absent cell ("").
    var styles: Int32 {
        get { styleIds[pending] }
        nonmutating set { styleIds[pending] = newValue }
    }

    @inline(__always)
    func setScore(_ capability: Int, _ value: Float) { scoreBlock[capability * Self.blockRows + pending] = value }

    /// The row being read's score of capability c is at `scoreSlots[c * blockRows]`.
    var scoreSlots: UnsafeMutablePointer<Float> { scoreBlock + pending }

    /// The row being read is complete: it joins the pending rows (flushed to `batch` when the block is full).
    mutating func append(to batch: inout ScoreBatch) {
        if sources[pending] < 0 { sources[pending] = batch.sourceInterner.id(of: UnsafeBufferPointer(start: nil, count: 0), names: &batch.sourceNames) }
        if styleIds[pending] < 0 { styleIds[pending] = batch.styleInterner.id(of: UnsafeBufferPointer(start: nil, count: 0), names: &batch.styleCells) }
        pending += 1
        if pending == Self.blockRows { flush(to: &batch) } else { reset() }
    }

    /// Moves the pending rows to `batch`; called before the batch gets a row another way, and at the end.
    mutating func flush(to batch: inout ScoreBatch) {
        let n = pending
        batch.idx.append(contentsOf: UnsafeBufferPointer(start: idxs, count: n))
        batch.ok.append(contentsOf: UnsafeBufferPointer(start: oks, count: n))
        batch.source.append(contentsOf: UnsafeBufferPointer(start: sources, count: n))
        batch.styles.append(contentsOf: UnsafeBufferPointer(start: styleIds, count: n))
        for c in 0..<Self.capabilities {
            batch.scores[c].append(contentsOf: UnsafeBufferPointer(start: scoreBlock + c * Self.blockRows, count: n))
        }
        pending = 0
        reset()
    }

    /// Clears the row being read (absent cells are "" and nulls), e.g. after the byte path gave up on it.
    func reset() {
        idxs[pending] = 0
        oks[pending] = true
        sources[pending] = -1
        styleIds[pending] = -1
        for c in 0..<Self.capabilities { scoreBlock[c * Self.blockRows + pending] = .nan }
    }
}
