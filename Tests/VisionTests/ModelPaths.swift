import Foundation
import XCTest

/// The converted model files (weights/setup.sh writes them; the test command runs it first).
enum ModelPaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var int8: String { repository.appendingPathComponent("weights/mmssr-small.gguf").path }
    static var fp32: String { repository.appendingPathComponent("weights/mmssr-small-f32.gguf").path }

    static func require(_ path: String) throws -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw XCTSkip("missing \(path): run weights/setup.sh (scripts/test.sh does)")
        }
        return path
    }
}
