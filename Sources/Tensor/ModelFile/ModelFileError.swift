/// A model file (GGUF or safetensors) that cannot be used, with where it went wrong.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// Byte offset in the file where the problem was found, when there is one.
    public let offset: Int?
    public let reason: String

    public init(path: String, offset: Int?, reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        if let offset { return "\(path): \(reason) (at byte \(offset))" }
        return "\(path): \(reason)"
    }
}
