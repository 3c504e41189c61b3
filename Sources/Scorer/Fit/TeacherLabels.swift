/// What the teacher said about each labelled item, column-wise: a score per capability (NaN: none) and a
/// style set (nil: none), plus counts of what could not be used.
public struct TeacherLabels: Sendable {
    public private(set) var idx: [Int64] = []
    /// `scores[c][row]`, capability c in `Capabilities.keys` order, as the teacher gave it (not rounded).
    public private(set) var scores: [[Float]] = Array(repeating: [], count: Capabilities.keys.count)
    /// Bit s set: style `Styles.names[s]`.
    public private(set) var styles: [UInt16?] = []
    public var problems = LabelProblems()
    private var rowOfIdx: [Int64: Int] = [:]

    public init() {}

    public var count: Int { idx.count }

    public func row(of idx: Int64) -> Int? { rowOfIdx[idx] }

    /// The row of `idx`, added empty if new.
    mutating func slot(_ idx: Int64) -> Int {
        if let r = rowOfIdx[idx] { return r }
        let r = self.idx.count
        rowOfIdx[idx] = r
        self.idx.append(idx)
        for c in scores.indices { scores[c].append(.nan) }
        styles.append(nil)
        return r
    }

    /// Records one capability cell given as text; nil and "" are no label, anything else must be a number.
    mutating func setScore(_ c: Int, idx: Int64, text: String?) {
        guard let text, !text.isEmpty else { return }
        guard let v = MMSSRFolderReader.level(text), v.isFinite else {
            problems.unparsableScores += 1
            return
        }
        if v < 0 || v > 5 { problems.outOfRangeScores += 1 }
        scores[c][slot(idx)] = v
    }

    /// Records a styles cell ("a, b" or "a,b" of official names); unknown names are counted and skipped.
    mutating func setStyles(idx: Int64, cell: String) {
        var bits: UInt16 = 0
        for name in Styles.split(cell) {
            if let s = Styles.names.firstIndex(of: name) { bits |= 1 << UInt16(s) } else { problems.unknownStyles += 1 }
        }
        guard bits != 0 else {
            if !cell.isEmpty { problems.unparsableStyles += 1 }
            return
        }
        styles[slot(idx)] = bits
    }

    /// The training class of a teacher score: rounded and clamped to 0...5.
    public static func level(_ score: Float) -> Int { Int(score.rounded()).clamped(0, 5) }
}

/// Label cells and rows that could not be used; reported, never fatal.
public struct LabelProblems: Sendable, Codable, Equatable {
    public var unparsableScores = 0
    /// Scores outside 0...5 (clamped for training).
    public var outOfRangeScores = 0
    public var unknownStyles = 0
    /// Styles cells with no known style name.
    public var unparsableStyles = 0
    /// Lines or rows that are not readable at all (bad JSON, no idx).
    public var unreadableRows = 0
    /// Score-table rows with status error.
    public var errorRows = 0

    enum CodingKeys: String, CodingKey {
        case unparsableScores = "unparsable_scores", outOfRangeScores = "out_of_range_scores"
        case unknownStyles = "unknown_styles", unparsableStyles = "unparsable_styles"
        case unreadableRows = "unreadable_rows", errorRows = "error_rows"
    }
}
