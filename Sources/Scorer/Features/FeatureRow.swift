/// One row of a features file: a pool item and the heads' input vector for it, or why it has none.
public struct FeatureRow: Sendable, Equatable {
    /// 0-based position in the pool (shards of one pool merge by it).
    public var position: Int
    public var idx: Int64
    public var id: String
    public var image: String
    public var imageSource: String
    /// The heads' input for an ok item (`FeatureFileHeader.featureCount` values); nil for an error item.
    public var values: [Float]?
    /// "" when ok; else the one-line reason, as in the score table's `error` column.
    public var error: String

    public init(position: Int, idx: Int64, id: String = "", image: String = "", imageSource: String = "",
                values: [Float]?, error: String = "") {
        self.position = position
        self.idx = idx
        self.id = id
        self.image = image
        self.imageSource = imageSource
        self.values = values
        self.error = error
    }

    public var isOK: Bool { values != nil }
}
