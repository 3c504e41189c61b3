import Foundation
import TestSupport
import XCTest
@testable import Scorer
import Tensor

/// scripts/distill.sh end to end on the example pool with the real 0.5B chat model as a text-only teacher:
/// a real model's labels go through teach -> fit -> score -> select.
final class DistillationScriptTests: XCTestCase {
    func testTeachFitScoreSelectOnTheExamplePool() throws {
        let teacher = try ModelPaths.require(ModelPaths.qwen2)
        _ = try ModelPaths.require(ModelPaths.int8)
        let repo = ModelPaths.repository.path
        let binary = try Command.mmssr()
        let out = NSTemporaryDirectory() + "mmssr-distill-\(getpid())"
        try? FileManager.default.removeItem(atPath: out)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }

        let run = try Command.run(repo + "/scripts/distill.sh",
                                  ["example/pool.json", "example/images", out, "--scorer", teacher, "--styler", teacher,
                                   "--every", "6", "--max-new-tokens", "4", "--budget", "0.3"],
                                  environment: ["MMSSR": binary])
        let stderr = run.stderr
        XCTAssertEqual(run.status, 0, stderr)

        // The teacher answered every capability and the styler for the 12 sampled items (positions 0, 6, ...).
        for name in Capabilities.keys + ["style"] {
            let lines = try String(contentsOfFile: "\(out)/teacher/\(name).jsonl", encoding: .utf8).split(separator: "\n")
            XCTAssertEqual(lines.count, 12, name)
        }
        let labels = try LabelReader.read(path: out + "/teacher.parquet")
        XCTAssertEqual(labels.count, 12)
        XCTAssertTrue(labels.scores.allSatisfy { $0.allSatisfy { $0 >= 0 && $0 <= 5 } }, "expected scores lie in 0...5")
        let fitted = try GGUFFile(path: out + "/fitted.gguf")
        XCTAssertTrue(try fitted.string("heads.kind").hasPrefix("fitted (all capabilities and styles, 12 labelled items"))
        let subset = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/subset.json"))) as! [Any]
        XCTAssertEqual(subset.count, 21, "30% of 72")
        XCTAssertTrue(stderr.contains("selected 21 of budget 21"), stderr)
    }
}
