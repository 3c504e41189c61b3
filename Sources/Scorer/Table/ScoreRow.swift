/// One row of the score table (SPEC §3).
public struct ScoreRow: Sendable, Equatable {
    public enum Status: String, Sendable { case ok, error }

    public var idx: Int64
    public var id: String
    public var image: String
    public var imageSource: String
    public var status: Status
    /// "" when ok.
    public var error: String
    /// One per `Capabilities.keys`, nil on error rows.
    public var scores: [Float?]
    /// One per `Styles.keys`, nil on error rows.
    public var styleLogits: [Float?]
    /// Official style names, ", "-separated, most probable first.
    public var styles: String
    /// The official `pred_response` texts when a teacher answered: one per `Capabilities.keys`, then the
    /// styler's; empty when the scores come from elsewhere (the official folder then holds rounded scores).
    public var responses: [String] = []

    public init(
        idx: Int64, id: String = "", image: String = "", imageSource: String = "", status: Status = .ok,
        error: String = "", scores: [Float?] = Array(repeating: nil, count: Capabilities.keys.count),
        styleLogits: [Float?] = Array(repeating: nil, count: Styles.keys.count), styles: String = ""
    ) {
        precondition(scores.count == Capabilities.keys.count && styleLogits.count == Styles.keys.count)
        self.idx = idx
        self.id = id
        self.image = image
        self.imageSource = imageSource
        self.status = status
        self.error = error
        self.scores = scores
        self.styleLogits = styleLogits
        self.styles = styles
    }

    /// An error row for an item that could not be scored.
    public static func failed(idx: Int64, id: String = "", image: String = "", imageSource: String = "", error: String) -> ScoreRow {
        ScoreRow(idx: idx, id: id, image: image, imageSource: imageSource, status: .error, error: error)
    }
}

/// The columns of the table in file order, shared by every format.
public enum ScoreColumns {
    public static let leading = ["idx", "id", "image", "image_source", "status", "error"]
    public static let all: [String] = leading + Capabilities.keys + Styles.keys + ["styles"]
}
