import Foundation
import TestSupport
import XCTest

/// A score table must not depend on how the run was cut or which kernels OpenBLAS loaded: `mmssr score` on the
/// example pool, run as a subprocess, gives the same Parquet bytes with every OPENBLAS_CORETYPE this machine
/// loads (the user's value kept: mmssr must not re-execute over it), sharded 3 ways and merged, with --batch 1
/// and 8, on 1 and 2 threads; for the int8 model and with --fp32 (every layer on the fp32 product).
final class DeterminismTests: XCTestCase {
    /// OpenBLAS's x86 kernel families (DYNAMIC_ARCH names); those the library or CPU lacks fall back, and the
    /// test reads the one really loaded from OpenBLAS's own report (OPENBLAS_VERBOSE=2 prints "Core: NAME").
    private static let cores = ["Prescott", "Core2", "Nehalem", "Sandybridge", "Haswell", "Zen", "SkylakeX", "Cooperlake",
                                "SapphireRapids"]
    private static let limit = "10"

    func testTablesAreIdenticalAcrossCoresShardsBatchesAndThreads() throws {
        let model = try ModelPaths.require(ModelPaths.int8)
        let binary = try Command.mmssr()
        let example = ModelPaths.repository.appendingPathComponent("example")
        let pool = example.appendingPathComponent("pool.json").path, images = example.appendingPathComponent("images").path
        guard FileManager.default.fileExists(atPath: images) else {
            return XCTFail("\(images) is missing: run example/make_images.py")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mmssr-determinism-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        for precision in [[], ["--fp32"]] {
            let name = precision.isEmpty ? "int8" : "fp32"
            func score(_ tag: String, _ extra: [String], core: String? = nil) throws -> (table: Data, stderr: String) {
                let out = dir.appendingPathComponent("\(name)-\(tag).parquet").path
                let run = try Self.run(binary, ["score", pool, "--images", images, "--model", model, "--limit", Self.limit,
                                                "--quiet", "-o", out] + precision + extra,
                                       environment: core.map { ["OPENBLAS_CORETYPE": $0, "OPENBLAS_VERBOSE": "2"] } ?? [:])
                XCTAssertEqual(run.status, 0, "\(name) \(tag): \(run.stderr)")
                return (try Data(contentsOf: URL(fileURLWithPath: out)), run.stderr)
            }
            let reference = try score("reference", ["--batch", "8", "--threads", "2"]).table

            var loaded: [String: String] = [:]
            for core in Self.cores {
                let (table, stderr) = try score("core-\(core)", ["--batch", "8", "--threads", "2"], core: core)
                let report = stderr.split(separator: "\n").last { $0.hasPrefix("Core: ") }.map { String($0.dropFirst(6)) }
                XCTAssertNotNil(report, "OpenBLAS did not report its core for OPENBLAS_CORETYPE=\(core): \(stderr)")
                // Exactly one "Core:" line: mmssr kept the user's value instead of re-executing with its own.
                XCTAssertEqual(stderr.components(separatedBy: "Core: ").count - 1, 1, "\(core): \(stderr)")
                loaded[core] = report
                XCTAssertEqual(table, reference, "\(name): OPENBLAS_CORETYPE=\(core) (loaded \(report ?? "?")) changed the table")
            }
            XCTAssertEqual(loaded["Haswell"], "Haswell", "the AVX2 kernels that rounded rows by position must be among those tested")

            XCTAssertEqual(try score("batch1", ["--batch", "1", "--threads", "2"]).table, reference, "\(name): --batch 1")
            XCTAssertEqual(try score("threads1", ["--batch", "8", "--threads", "1"]).table, reference, "\(name): --threads 1")
            XCTAssertEqual(try score("haswell-batch3", ["--batch", "3", "--threads", "1"], core: "Haswell").table, reference,
                           "\(name): Haswell, --batch 3, 1 thread")
            var shards: [String] = []
            for i in 0..<3 {
                _ = try score("shard-\(i)", ["--batch", "8", "--threads", "2", "--shard", "\(i)/3"], core: "Haswell")
                shards.append(dir.appendingPathComponent("\(name)-shard-\(i).parquet").path)
            }
            let merged = dir.appendingPathComponent("\(name)-merged.parquet").path
            let merge = try Self.run(binary, ["merge"] + shards + ["-o", merged], environment: [:])
            XCTAssertEqual(merge.status, 0, merge.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: merged)), reference, "\(name): 3 Haswell shards merged")
            print("\(name): identical tables with OPENBLAS_CORETYPE loading \(Set(loaded.values).sorted())")
        }
    }

    /// mmssr with OpenBLAS's kernel choice left to `environment` (the test's own OPENBLAS_CORETYPE removed).
    private static func run(_ binary: String, _ arguments: [String], environment: [String: String]) throws -> Command.Result {
        try Command.run(binary, arguments, environment: ["OPENBLAS_CORETYPE": nil, "MMSSR_CHOSE_OPENBLAS_CORETYPE": nil]
                                                        .merging(environment.mapValues { $0 }) { $1 })
    }
}
