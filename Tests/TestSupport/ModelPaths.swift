import Foundation

/// The converted model files (weights/setup.sh writes them; the test command runs it first).
public enum ModelPaths {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var int8: String { repository.appendingPathComponent("weights/mmssr-small.gguf").path }
    public static var fp32: String { repository.appendingPathComponent("weights/mmssr-small-f32.gguf").path }

    public static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw MissingModel(description: "missing \(path): run weights/setup.sh (scripts/test.sh does)")
        }
        return path
    }
}

/// A required model file is absent: the test fails (never skips), since CI installs the weights first.
public struct MissingModel: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}
