/// Failures that stop `mmssr score` or `mmssr embed`; each `description` is one line for the user.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    case invalidArgument(String)
    /// The pool cannot be opened or is not JSON; nothing was scored.
    case pool(PoolError)
    /// A JSON-array pool breaks at some byte: the rows before it were kept in `output`.
    case brokenPool(PoolError, keptRows: Int, output: String)
    case table(TableError)
    /// Writing the features file of `mmssr embed` failed.
    case features(FeatureFileError)
    /// The checkpoint of an interrupted run cannot be used; `reason` says what to do.
    case checkpoint(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidArgument(message): return message
        case let .pool(error): return error.description
        case let .brokenPool(error, kept, output):
            return "\(error.description); kept the \(kept) rows scored before it in \(output)"
        case let .table(error): return error.description
        case let .features(error): return error.description
        case let .checkpoint(path, reason): return "\(path): \(reason)"
        }
    }
}
