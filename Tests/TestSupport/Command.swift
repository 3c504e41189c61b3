import Foundation

/// Runs the mmssr executable (or a script) as a user would, for the tests of commands and launchers.
public enum Command {
    /// The `mmssr` product beside the test bundle (`swift build` makes it before `swift test` runs).
    public static func mmssr() throws -> String {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmssr").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw MissingModel(description: "\(binary) is missing: build the mmssr product first (swift build)")
        }
        return binary
    }

    public struct Result: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// `environment` entries override the test's own; a nil value removes the variable. Runs in the repository.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String?] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = ModelPaths.repository
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drain at once: a child filling one while we wait on the other would never finish.
        let stdout = Captured(), drained = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            stdout.data = out.fileHandleForReading.readDataToEndOfFile()
            drained.signal()
        }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        drained.wait()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout.data, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// The stdout bytes the reading queue hands over; the semaphore orders the write before the read.
private final class Captured: @unchecked Sendable {
    var data = Data()
}
