import Tensor

/// Why a teacher model cannot be used, as one line.
public enum TeacherError: Error, Sendable, CustomStringConvertible {
    case modelFile(ModelFileError)
    case invalidModel(String)

    public var description: String {
        switch self {
        case let .modelFile(e): e.description
        case let .invalidModel(reason): reason
        }
    }
}
