import Foundation
import TestSupport
import XCTest

/// tools/ray_score.py on a private Ray bound to 127.0.0.1: 4 shards, one killed once and retried by Ray,
/// merged byte for byte into the single-process table (tools/test_ray_score.py does the work).
final class RayLauncherTests: XCTestCase {
    func testRayShardsWithAKilledTaskMergeToTheSingleProcessTable() throws {
        _ = try ModelPaths.require(ModelPaths.int8)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmssr").path
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            return XCTFail("\(binary) is missing: build the mmssr product first (swift build)")
        }
        let script = ModelPaths.repository.appendingPathComponent("tools/test_ray_score.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [ProcessInfo.processInfo.environment["PYTHON"] ?? "python3", script, "--mmssr", binary, "--timeout", "240"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0,
                       "tools/test_ray_score.py failed (Ray comes from tools/requirements.txt; scripts/install-deps.sh installs it):\n\(output)")
    }
}
