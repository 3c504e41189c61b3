/// `--shard I/N`: this process handles the items whose 0-based pool position p satisfies p mod N == I.
public struct ShardSpec: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    /// The whole pool.
    public static let all = ShardSpec(uncheckedIndex: 0, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    public init(index: Int, count: Int) throws(PipelineError) {
        guard count >= 1, (0..<count).contains(index) else {
            throw .invalidArgument("--shard \(index)/\(count): need 0 <= I < N")
        }
        self.init(uncheckedIndex: index, count: count)
    }

    /// Parses "I/N".
    public init(parsing text: String) throws(PipelineError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw .invalidArgument("--shard must be I/N (e.g. 0/4), got '\(text)'")
        }
        try self.init(index: i, count: n)
    }

    public func contains(position: Int) -> Bool { position % count == index }

    public var description: String { "\(index)/\(count)" }
}
