/// One turn of a LLaVA conversation.
public struct Turn: Sendable, Equatable {
    public var from: String
    public var value: String

    public init(from: String, value: String) {
        self.from = from
        self.value = value
    }
}

/// One pool sample as read from disk.
///
/// A sample that cannot be decoded is still an item (with `parseError` set) so that every position of the
/// pool yields exactly one score row.
public struct PoolItem: Sendable, Equatable {
    /// 0-based position in the pool.
    public var position: Int
    /// Byte range of the item in the pool file.
    public var byteOffset: Int
    public var byteLength: Int
    /// The item's `idx`, or its position when absent.
    public var idx: Int
    public var id: String
    /// Image paths relative to the image root; several for multi-image samples, none for text-only ones.
    public var images: [String]
    public var imageSource: String
    /// Empty in index-only mode.
    public var conversations: [Turn]
    /// The item exactly as in the pool; nil when the reader was asked not to keep it.
    public var raw: [UInt8]?
    /// One-line reason when the item could not be decoded; the other fields then hold defaults.
    public var parseError: String?

    public init(
        position: Int, byteOffset: Int, byteLength: Int, idx: Int, id: String = "", images: [String] = [],
        imageSource: String = "", conversations: [Turn] = [], raw: [UInt8]? = nil, parseError: String? = nil
    ) {
        self.position = position
        self.byteOffset = byteOffset
        self.byteLength = byteLength
        self.idx = idx
        self.id = id
        self.images = images
        self.imageSource = imageSource
        self.conversations = conversations
        self.raw = raw
        self.parseError = parseError
    }

    /// The `image` column of the score table: the path, or several joined by ", " for multi-image samples.
    public var imageColumn: String { images.joined(separator: ", ") }

    /// SPEC §2: the first path component of the first image, "" for text-only samples.
    public static func defaultImageSource(images: [String]) -> String {
        guard let first = images.first else { return "" }
        return first.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
    }
}
