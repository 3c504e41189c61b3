import Foundation
import Scorer
import Tensor
import TestSupport
import Vision
import XCTest

/// CI's replay of the fuzz corpora (fuzz/corpus/NAME, seeds plus every input a fuzz run found and fixed): each
/// file goes to the parser its harness (fuzz/swift/NAME.swift, fuzz/c/NAME.c) drives, which must return or
/// throw. Without sanitizers: `fuzz/run.sh NAME replay` is the instrumented version.
final class FuzzCorpusReplayTests: XCTestCase {
    private let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mmssr-replay-\(getpid())")

    override func setUpWithError() throws {
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: scratch)
    }

    private func file(_ bytes: some Collection<UInt8>, _ name: String) -> String {
        let path = scratch.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    private func drain(_ reader: any ScoreTableReader) { while let row = try? reader.next() { _ = row } }

    /// Harness name -> what it runs on one input.
    private lazy var targets: [String: ([UInt8]) -> Void] = [
        "gguf": { _ = try? GGUFFile(path: self.file($0, "model.gguf")) },
        "safetensors": { _ = try? SafetensorsFile(path: self.file($0, "model.safetensors")) },
        "tokenizer": {
            if let t = try? WordPieceTokenizer.loadingHuggingFaceJSON(path: self.file($0, "tokenizer.json")) {
                _ = t.encode("Hello, wörld! [CLS] 中文 unaffable", maxTokens: 32)
            }
        },
        "bpe": {
            if let t = try? BPETokenizer.loadingHuggingFaceJSON(path: self.file($0, "tokenizer.json")) {
                _ = t.decode(t.encode("Hello, wörld!<|im_end|> 中文 1234 it's\n\n  x"))
            }
        },
        "pool": { bytes in
            let path = self.file(bytes, "pool.json")
            for options in [PoolReader.Options(chunkSize: 64), .index] {
                guard let reader = try? PoolReader(path: path, options: options) else { continue }
                while let item = try? reader.next() { _ = item }
            }
        },
        "json": { _ = try? JSONParser.parseDocument($0) },
        "parquet": { if let r = try? ScoreTable.reader(path: self.file($0, "scores.parquet")) { self.drain(r) } },
        "csv": { if let r = try? ScoreTable.reader(path: self.file($0, "scores.csv")) { self.drain(r) } },
        "jsonl": { if let r = try? ScoreTable.reader(path: self.file($0, "scores.jsonl")) { self.drain(r) } },
        "official": { bytes in
            let cut = bytes.firstIndex(of: 0) ?? bytes.count
            _ = self.file(bytes[..<cut], "spatial.jsonl")
            _ = self.file(bytes[min(cut + 1, bytes.count)...], "style.jsonl")
            if let r = try? MMSSRFolderReader(directory: self.scratch.path) { self.drain(r) }
        },
        "labels": { bytes in
            guard let first = bytes.first else { return }
            _ = try? LabelReader.read(path: self.file(bytes.dropFirst(), first & 1 == 0 ? "labels.csv" : "labels.jsonl"))
        },
        "features": { bytes in
            let path = self.file(bytes, "features.bin")
            for torn in [false, true] {
                guard let reader = try? FeatureFileReader(path: path) else { return }
                while let row = try? reader.next(allowTornTail: torn) { _ = row }
            }
        },
        "image": { _ = try? ImageDecoder.decode(data: $0, name: "fuzz", maxPixels: 4_000_000) },
        // The C harnesses call the shim's decoders directly; ImageDecoder picks the same one by magic bytes.
        "jpeg": { _ = try? ImageDecoder.decode(data: $0, name: "fuzz.jpg", maxPixels: 4_000_000) },
        "png": { _ = try? ImageDecoder.decode(data: $0, name: "fuzz.png", maxPixels: 4_000_000) },
    ]

    func testEveryCorpusFileReturnsOrThrows() throws {
        let root = ModelPaths.repository.appendingPathComponent("fuzz")
        let harnesses = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("swift").path)
            .filter { $0.hasSuffix(".swift") && $0 != "Support.swift" }.map { String($0.dropLast(6)) }
            + FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("c").path)
            .filter { $0.hasSuffix(".c") }.map { String($0.dropLast(2)) }
        XCTAssertEqual(Set(harnesses), Set(targets.keys), "every harness needs its replay here, and only those")
        var replayed = 0
        for name in harnesses.sorted() {
            let dir = root.appendingPathComponent("corpus/\(name)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
            XCTAssertFalse(files.isEmpty, "fuzz/corpus/\(name) is empty")
            for f in files {
                let bytes = try [UInt8](Data(contentsOf: dir.appendingPathComponent(f)))
                targets[name]!(bytes)
                replayed += 1
            }
        }
        print("replayed \(replayed) corpus files of \(harnesses.count) harnesses")
    }
}
