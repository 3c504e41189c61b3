import Scorer

/// Why a selection could not run. Messages are one line, naming the file involved.
public enum SelectError: Error, Sendable, CustomStringConvertible {
    case table(TableError)
    case pool(PoolError)
    case unknownCapability(String)
    case tooManyStyles(example: String)
    case missingFromPool(count: Int, example: Int64, pool: String)
    /// Rows are 1-based data rows (the header not counted).
    case repeatedIdx(path: String, idx: Int64, firstRow: Int, row: Int)

    public var description: String {
        switch self {
        case let .table(e): return e.description
        case let .pool(e): return e.description
        case let .unknownCapability(k):
            return "unknown capability '\(k)' (known: \(Capabilities.keys.joined(separator: ",")))"
        case let .tooManyStyles(name):
            return "the styles column holds more than 255 distinct style names (e.g. '\(name)')"
        case let .missingFromPool(count, example, pool):
            return "\(count) selected idx are not in the pool \(pool) (e.g. \(example)): the score table belongs to another pool"
        case let .repeatedIdx(path, idx, first, row):
            return "\(path), row \(row): idx \(idx) again (first on row \(first)); a score table holds one row per pool item"
        }
    }
}
