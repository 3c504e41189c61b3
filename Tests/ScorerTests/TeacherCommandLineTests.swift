import Foundation
import TestSupport
import XCTest

/// The teacher's command line. Sharded as a fleet runs it: tools/slurm_score.sh with SCORER and STYLER runs `mmssr teach` per
/// array task (the tasks run here one after another, as Slurm would on free nodes), and its merge job gives the
/// table of one `mmssr teach` process, byte for byte. The teachers are the tiny official-layout checkpoints
/// scripts/test.sh converts into .build/teacher.
final class TeacherCommandLineTests: XCTestCase {
    let fixtures = ModelPaths.repository.appendingPathComponent("Tests/ScorerTests/Fixtures").path

    func teacher(_ name: String) throws -> String {
        try ModelPaths.require(ModelPaths.repository.appendingPathComponent(".build/teacher/\(name).gguf").path)
    }

    @discardableResult
    func run(_ executable: String, _ arguments: [String], environment: [String: String?] = [:], status: Int32 = 0) throws -> String {
        let result = try Command.run(executable, arguments, environment: environment)
        let output = result.stdout + result.stderr
        XCTAssertEqual(result.status, status, "\(executable) \(arguments.joined(separator: " ")):\n\(output)")
        return output
    }

    func testSlurmTeacherShardsMergeToTheSingleProcessTable() throws {
        let scorer = try teacher("scorer-int8"), styler = try teacher("styler-int8")
        let binary = try Command.mmssr()
        let out = NSTemporaryDirectory() + "mmssr-teach-shards-\(getpid())"
        try? FileManager.default.removeItem(atPath: out)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let pool = fixtures + "/teacher_pool.json", images = fixtures + "/teacher_images"

        try run(binary, ["teach", pool, "--images", images, "--scorer", scorer, "--styler", styler,
                         "-o", out + "/single.parquet", "--max-new-tokens", "8", "--threads", "1", "--quiet"])
        let script = ModelPaths.repository.appendingPathComponent("tools/slurm_score.sh").path
        let job: [String: String?] = ["N": "3", "POOL": pool, "IMAGES": images, "SHARD_DIR": out + "/shards", "MMSSR": binary,
                   "SCORER": scorer, "STYLER": styler, "MAX_NEW_TOKENS": "8", "THREADS": "1"]
        for task in 0..<3 {
            try run(script, [], environment: job.merging(["SLURM_ARRAY_TASK_ID": "\(task)"]) { $1 })
        }
        let merge = try run(script, ["merge"], environment: ["OUT": out + "/merged.parquet", "N": "3", "POOL": pool,
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

    /// `mmssr inspect` says what teach will do with a teacher file, and shows no teacher block for a plain LM.
    func testInspectSummarisesTeacherFiles() throws {
        let binary = try Command.mmssr()
        let scorer = try Command.run(binary, ["inspect", try teacher("scorer-int8")])
        XCTAssertEqual(scorer.status, 0, scorer.stderr)
        for line in ["teacher:\n  role: scorer\n",
                     "  image: SigLIP 56px, patch 14, 2 blocks x 32 -> 17 rows per image (with image_newline)\n",
                     "  capability keywords: the official names (SPEC §1)\n",
                     "  decoding: greedy, repetition penalty 1.05, stop ids [151643, 151645], over 151646 vocabulary rows\n"] {
            XCTAssertTrue(scorer.stdout.contains(line), "missing \(line.debugDescription) in:\n\(scorer.stdout.prefix(1500))")
        }
        let styler = try Command.run(binary, ["inspect", try teacher("styler-f32")])
        XCTAssertTrue(styler.stdout.contains("teacher:\n  role: styler\n"), String(styler.stdout.prefix(1500)))
        XCTAssertFalse(styler.stdout.contains("capability keywords"), "a styler asks no capability question")
        let plain = try Command.run(binary, ["inspect", try ModelPaths.require(ModelPaths.qwen2)])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stdout.contains("\nteacher:"), "a plain Qwen2 GGUF has no mmssr.teacher.* keys")
    }
}
