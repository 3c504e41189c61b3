import Foundation
import TestSupport
import XCTest
@testable import Scorer

/// `mmssr score` on the real model, as a child process: it ends with the table an in-process run gives, and
/// a child killed with SIGKILL at several points and rerun with --resume ends with the same table, scoring
/// no finished row twice.
final class PipelineModelTests: XCTestCase {
    func testKilledRunsResumeToTheUninterruptedTable() throws {
        let model = try ModelPaths.require(ModelPaths.int8)
        let binary = try Command.mmssr()
        let scratch = try PipelineScratch("model-kill")
        var lines: [String] = []
        for i in 0..<20 {
            if i % 4 == 0 { try scratch.jpeg("pics/ü\(i).jpg", seed: UInt8(i)) }
            lines.append(i % 4 == 0
                ? poolLine(id: "m\(i)", image: "pics/ü\(i).jpg", question: "<image>\nWhat pattern is this? №\(i)", answer: "Stripes, mostly grey.")
                : poolLine(id: "m\(i)", question: "Translate 'cat' into French (\(i)).", answer: "Le chat — \(i)"))
        }
        let pool = try scratch.write(lines.joined(separator: "\n") + "\n", to: "pool.jsonl")
        let images = scratch.dir + "/images"

        let reference = scratch.dir + "/reference.parquet"
        XCTAssertEqual(try run(binary, [pool, "--images", images, "-o", reference, "--model", model, "--batch", "2", "--threads", "1"]).status, 0)
        let expected = try ScoreTable.readAll(path: reference)
        XCTAssertEqual(expected.count, 20)
        XCTAssertEqual(expected.filter { $0.status == .ok }.count, 20)

        let output = scratch.dir + "/killed.parquet"
        let checkpoint = ScorePipeline.checkpointPath(output: output)
        for killAfterRows in [0, 3, 9, 16] {
            let child = try start(binary, [pool, "--images", images, "-o", output, "--model", model, "--batch", "2", "--threads", "1", "--quiet"])
            // Kill once the checkpoint holds `killAfterRows` rows (0: as soon as it exists).
            func due() -> Bool {
                killAfterRows == 0 ? FileManager.default.fileExists(atPath: checkpoint) : rowsIn(checkpoint) >= killAfterRows
            }
            let deadline = Date().addingTimeInterval(120)
            while child.isRunning && !due() && Date() < deadline { usleep(2000) }
            XCTAssertTrue(child.isRunning, "the child finished before the kill at \(killAfterRows) rows")
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            let finished = rowsIn(checkpoint)
            let resumed = try run(binary, [pool, "--images", images, "-o", output, "--model", model, "--batch", "2", "--threads", "1", "--resume"])
            XCTAssertEqual(resumed.status, 0, resumed.stderr)
            XCTAssertEqual(try ScoreTable.readAll(path: output), expected, "killed after \(finished) rows")
            // The summary line says how many rows this run scored: exactly the ones the checkpoint lacked.
            XCTAssertTrue(resumed.stderr.contains("scored \(20 - finished) items"), "killed after \(finished) rows: \(resumed.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: checkpoint))
            try FileManager.default.removeItem(atPath: output)
        }
    }

    /// Complete row lines in a checkpoint (the header and a torn tail do not count).
    private func rowsIn(_ path: String) -> Int {
        guard let data = FileManager.default.contents(atPath: path) else { return 0 }
        return max(data.filter { $0 == 0x0A }.count - 1, 0)
    }

    private func start(_ binary: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["score"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    private func run(_ binary: String, _ arguments: [String]) throws -> Command.Result {
        try Command.run(binary, ["score"] + arguments)
    }
}
