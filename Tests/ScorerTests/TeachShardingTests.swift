import Foundation
import TestSupport
import XCTest

/// The teacher sharded as a fleet runs it: tools/slurm_score.sh with SCORER and STYLER runs `mmssr teach` per
/// array task (the tasks run here one after another, as Slurm would on free nodes), and its merge job gives the
/// table of one `mmssr teach` process, byte for byte. The teachers are the tiny official-layout checkpoints
/// scripts/test.sh converts into .build/teacher.
final class TeachShardingTests: XCTestCase {
    let fixtures = ModelPaths.repository.appendingPathComponent("Tests/ScorerTests/Fixtures").path
    var binary: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("mmssr").path
    }

    func teacher(_ name: String) throws -> String {
        try ModelPaths.require(ModelPaths.repository.appendingPathComponent(".build/teacher/\(name).gguf").path)
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], status: Int32 = 0) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = ModelPaths.repository
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let log = Pipe()
        process.standardError = log
        process.standardOutput = log
        try process.run()
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, status, "\(executable) \(arguments.joined(separator: " ")):\n\(output)")
        return output
    }

    func testSlurmTeacherShardsMergeToTheSingleProcessTable() throws {
        let scorer = try teacher("scorer-int8"), styler = try teacher("styler-int8")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: binary), "build the mmssr product first")
        let out = NSTemporaryDirectory() + "mmssr-teach-shards-\(getpid())"
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let pool = fixtures + "/teacher_pool.json", images = fixtures + "/teacher_images"

        try run(binary, ["teach", pool, "--images", images, "--scorer", scorer, "--styler", styler,
                         "-o", out + "/single.parquet", "--max-new-tokens", "8", "--threads", "1", "--quiet"])
        let script = ModelPaths.repository.appendingPathComponent("tools/slurm_score.sh").path
        let job = ["N": "3", "POOL": pool, "IMAGES": images, "SHARD_DIR": out + "/shards", "MMSSR": binary,
                   "SCORER": scorer, "STYLER": styler, "MAX_NEW_TOKENS": "8", "THREADS": "1"]
        for task in 0..<3 {
            try run(script, [], environment: job.merging(["SLURM_ARRAY_TASK_ID": "\(task)"]) { $1 })
        }
        let merge = try run(script, ["merge"], environment: ["OUT": out + "/merged.parquet", "N": "3",
                                                             "SHARD_DIR": out + "/shards", "MMSSR": binary])
        XCTAssertTrue(merge.contains("merged 9 rows from 3 shard tables"), merge)
        let single = try Data(contentsOf: URL(fileURLWithPath: out + "/single.parquet"))
        let merged = try Data(contentsOf: URL(fileURLWithPath: out + "/merged.parquet"))
        XCTAssertEqual(single, merged, "3 teacher shards merged differ from one mmssr teach")

        // A student model beside a teacher is a mistake the script names instead of running either.
        let refused = try run(script, [], environment: job.merging(["SLURM_ARRAY_TASK_ID": "0", "MODEL": scorer,
                                                                    "SHARD_DIR": out + "/refused"]) { $1 }, status: 2)
        XCTAssertTrue(refused.contains("MODEL is the student's and SCORER the teacher's"), refused)
    }
}
