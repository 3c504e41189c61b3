import Foundation

/// The converted model files (weights/setup.sh writes them; the test command runs it first).
public enum ModelPaths {
    public static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static var int8: String { repository.appendingPathComponent("weights/mmssr-small.gguf").path }
    public static var fp32: String { repository.appendingPathComponent("weights/mmssr-small-f32.gguf").path }
    /// Qwen2.5-Coder-0.5B-Instruct as llama.cpp ships it (Q5_0 / Q8_0 / Q6_K / Q4_K; weights/fetch.py assembles it).
    public static var qwen2: String { repository.appendingPathComponent("weights/cache/qwen2.5-coder-0.5b-instruct.gguf").path }

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
