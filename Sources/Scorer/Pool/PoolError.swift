/// Failures that stop reading a pool. Problems confined to one item never throw: they become error items.
public enum PoolError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case notJSON(path: String, byteOffset: Int)
    case brokenArray(path: String, byteOffset: Int, reason: String)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read \(path): \(reason)"
        case let .notJSON(path, offset):
            return "pool \(path) is neither a JSON array nor JSONL (byte \(offset) starts with neither '[' nor '{')"
        case let .brokenArray(path, offset, reason):
            return "pool \(path) is not a well-formed JSON array at byte \(offset): \(reason)"
        }
    }
}
