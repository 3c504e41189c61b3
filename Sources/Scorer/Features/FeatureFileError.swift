/// Failures reading or writing a features file; each `description` is one line naming the file and where.
public enum FeatureFileError: Error, Sendable, Equatable, CustomStringConvertible {
    case io(path: String, reason: String)
    case malformed(path: String, offset: Int, reason: String)

    public var description: String {
        switch self {
        case let .io(path, reason): return "\(path): \(reason)"
        case let .malformed(path, offset, reason): return "\(path), byte \(offset): \(reason)"
        }
    }
}
