import Tensor

/// Failures that stop `mmssr fit`; each `description` is one line for the user.
public enum FitError: Error, Sendable, CustomStringConvertible {
    case invalidArgument(String)
    /// The labels cannot be read at all (a bad cell is counted, never fatal).
    case labels(path: String, reason: String)
    case features(FeatureFileError)
    case model(ModelFileError)
    /// Nothing to train on, e.g. no labelled item has features.
    case noData(String)
    case write(path: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidArgument(message): return message
        case let .labels(path, reason): return "\(path): \(reason)"
        case let .features(error): return error.description
        case let .model(error): return error.description
        case let .noData(message): return message
        case let .write(path, reason): return "\(path): \(reason)"
        }
    }
}
