/// Why an image could not be decoded. Always names the file; `description` is one line.
public struct ImageError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case fileNotFound
        /// The file exists but could not be read (permissions, a directory...); carries the OS reason.
        case unreadable(String)
        case emptyFile
        /// Larger than any image we would accept, refused before reading it into memory.
        case fileTooLarge(bytes: Int)
        /// No known image signature at the start of the file.
        case notAnImage
        /// A recognised format (or variant) that this decoder does not handle, e.g. "GIF".
        case unsupportedFormat(String)
        /// The data ends before the image does; carries the format ("JPEG", "PNG").
        case truncated(String)
        /// The codec rejected the data; carries the format and the codec's message.
        case corrupt(String, String)
        /// The header declares more pixels than `limit`; nothing was allocated for them.
        case tooLarge(width: Int, height: Int, limit: Int)
        case outOfMemory
    }

    public let kind: Kind
    /// The file (or the caller's name for in-memory data).
    public let path: String

    public init(_ kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }

    /// The reason without the path, for a table column that already names the file.
    public var reason: String {
        switch kind {
        case .fileNotFound: "file not found"
        case .unreadable(let why): "cannot read file (\(why))"
        case .emptyFile: "empty file (0 bytes)"
        case .fileTooLarge(let bytes): "file too large for an image (\(bytes) bytes)"
        case .notAnImage: "not an image (unrecognised file signature)"
        case .unsupportedFormat(let format): "unsupported image format (\(format))"
        case .truncated(let format): "truncated \(format) (data ends before the image does)"
        case .corrupt(let format, let detail): "corrupt \(format) (\(detail))"
        case .tooLarge(let w, let h, let limit): "image too large (\(w)x\(h) exceeds the \(limit)-pixel limit)"
        case .outOfMemory: "out of memory while decoding"
        }
    }

    public var description: String { "\(path): \(reason)" }
}
