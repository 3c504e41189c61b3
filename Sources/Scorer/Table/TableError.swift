/// Failures reading or writing a score table; each names the file and where in it.
public enum TableError: Error, Sendable, Equatable, CustomStringConvertible {
    case unsupportedExtension(path: String)
    case io(path: String, reason: String)
    /// `location` is "line N", "byte N" or "row group N, column C".
    case malformed(path: String, location: String, reason: String)
    case missingColumn(path: String, column: String)

    public var description: String {
        switch self {
        case let .unsupportedExtension(path):
            return "\(path): unknown table format (use .parquet, .csv or .jsonl)"
        case let .io(path, reason):
            return "\(path): \(reason)"
        case let .malformed(path, location, reason):
            return "\(path), \(location): \(reason)"
        case let .missingColumn(path, column):
            return "\(path): missing column '\(column)'"
        }
    }
}
