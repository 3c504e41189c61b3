import Foundation
import XCTest
@testable import Tensor
@testable import Vision
import TestSupport

/// The DINOv2 tower against onnxruntime running the original ONNX (tools/make_fixtures.py).
final class VisionTransformerTests: XCTestCase {
    nonisolated(unsafe) static var fp32Model: VisionTransformer?
    nonisolated(unsafe) static var int8Model: VisionTransformer?

    func models() throws -> (fp32: VisionTransformer, int8: VisionTransformer) {
        if Self.fp32Model == nil {
            Self.fp32Model = try VisionTransformer(file: GGUFFile(path: ModelPaths.require(ModelPaths.fp32)))
            Self.int8Model = try VisionTransformer(file: GGUFFile(path: ModelPaths.require(ModelPaths.int8)))
        }
        return (Self.fp32Model!, Self.int8Model!)
    }

    func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)))
    }

    func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in (0..<data.count / 4).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
    }

    var reference: [String: Any] {
        get throws {
            try XCTUnwrap(JSONSerialization.jsonObject(with: fixture("vit_reference.json")) as? [String: Any])
        }
    }

    func item(_ name: String) throws -> [String: Any] {
        let items = try XCTUnwrap(reference["items"] as? [[String: Any]])
        return try XCTUnwrap(items.first { $0["name"] as? String == name })
    }

    func values(_ any: Any?) -> [Float] { (any as! [NSNumber]).map(\.floatValue) }

    /// Network alone, same input tensor: fp32 relative error max|a - b| / max|b| <= 1e-4 on the whole final
    /// hidden state (257 x 384).
    func testFP32HiddenStateMatchesOnnxruntime() throws {
        let model = try models().fp32
        let input = floats(try fixture("vit_input_seed1234.bin"))
        let expected = floats(try fixture("vit_hidden_seed1234.bin"))
        let got = model.hiddenStates([input])
        XCTAssertEqual(got.shape, [257, 384])
        let diff = zip(got.data, expected).map { abs($0 - $1) }.max()!
        let scale = expected.map(abs).max()!
        XCTAssertLessThanOrEqual(diff / scale, 1e-4, "max abs diff \(diff), max |ref| \(scale)")
    }

    /// The timed forward of `mmssr bench vision` is the scoring forward: same bits, and every kind of op
    /// gets time.
    func testPartClockTimesTheSameForward() throws {
        let model = try models().int8
        let input = floats(try fixture("vit_input_seed1234.bin"))
        var clock = PartClock(enabled: true)
        XCTAssertEqual(model.hiddenStates([input, input], clock: &clock), model.hiddenStates([input, input]))
        for part in PartClock.Part.allCases { XCTAssertGreaterThan(clock[part], 0, "\(part)") }
    }

    /// Workers running whole forwards of their own images give the bits of one forward over the batch.
    func testImageParallelForwardEqualsBatchForward() throws {
        let model = try models().int8
        let input = floats(try fixture("vit_input_seed1234.bin"))
        let images = [input, input.map { $0 * 0.5 }, input.reversed()]
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(2)
        var off = PartClock(enabled: false)
        XCTAssertEqual(model.hiddenStates(images), model.batchHiddenStates(images, clock: &off))
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Float {
        let dot = zip(a, b).map(*).reduce(0, +)
        return dot / (a.map { $0 * $0 }.reduce(0, +).squareRoot() * b.map { $0 * $0 }.reduce(0, +).squareRoot())
    }

    /// The golden input of ../shared/reference/vit_s_focus_golden.json, rebuilt from its formula.
    func syntheticInput(mean: [Float], std: [Float]) -> [Float] {
        var x = [Float](repeating: 0, count: 3 * 224 * 224)
        for y in 0..<224 {
            for col in 0..<224 {
                let (fx, fy) = (Float(col), Float(y))
                let raw: [Float] = [0.5 + 0.5 * sin(Float(6.28) * fx / 223), fy / 223, (fx + fy) / (2 * 223)]
                for c in 0..<3 { x[(c * 224 + y) * 224 + col] = (raw[c] - mean[c]) / std[c] }
            }
        }
        return x
    }

    /// A batch of three (the synthetic golden input and two random ones) gives each image's own CLS and patch
    /// mean: the packed attention keeps images apart.
    func testBatchOfThreeReproducesEachReference() throws {
        let model = try models().fp32
        let inputs = [syntheticInput(mean: model.config.imageMean, std: model.config.imageStd),
                      floats(try fixture("vit_input_seed1234.bin")), floats(try fixture("vit_input_seed5678.bin"))]
        let features = model.features(inputs)
        for (i, name) in ["synthetic", "random_seed1234", "random_seed5678"].enumerated() {
            let ref = try item(name)
            let cls = features.cls.row(i), mean = features.patchMean.row(i)
            for (got, want, what) in [(cls, values(ref["cls"]), "cls"), (mean, values(ref["patch_mean"]), "patch mean")] {
                let err = zip(got, want).map { abs($0 - $1) }.max()! / want.map(abs).max()!
                XCTAssertLessThanOrEqual(err, 1e-4, "\(name) \(what)")
            }
        }
        let golden = features.cls.row(0)
        let norm = golden.map { $0 * $0 }.reduce(0, +).squareRoot()
        XCTAssertEqual(norm, 49.561702728271484, accuracy: 49.56 * 1e-4, "golden cls_norm")
        XCTAssertEqual(golden[0], -1.1652907133102417, accuracy: 1e-3)
        XCTAssertEqual(golden[9], 4.4249267578125, accuracy: 1e-3)
    }

    /// int8 matrices with per-token activation quantisation keep the CLS direction: cosine >= 0.998.
    func testInt8CLSCosineAgainstFP32() throws {
        let (fp32, int8) = try models()
        let inputs = [floats(try fixture("vit_input_seed1234.bin")), floats(try fixture("vit_input_seed5678.bin"))]
        let a = fp32.features(inputs).cls, b = int8.features(inputs).cls
        for i in 0..<inputs.count {
            XCTAssertGreaterThanOrEqual(cosine(a.row(i), b.row(i)), 0.998, "image \(i)")
        }
    }

    /// The same on real photographs (the scikit-image photos of the bundled example, PIL-exact preprocessing).
    func testInt8CLSCosineOnPhotographs() throws {
        let (fp32, int8) = try models()
        let folder = ModelPaths.repository.appendingPathComponent("example/images/coco")
        let photos = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }.sorted()
        XCTAssertGreaterThanOrEqual(photos.count, 4, "run python3 example/make_images.py")
        let pre = ImagePreprocessor(size: fp32.config.imageSize, mean: fp32.config.imageMean, std: fp32.config.imageStd)
        let inputs = try photos.map { try pre.tensor(path: folder.appendingPathComponent($0).path).data }
        let a = fp32.features(inputs).cls, b = int8.features(inputs).cls
        for (i, name) in photos.enumerated() {
            XCTAssertGreaterThanOrEqual(cosine(a.row(i), b.row(i)), 0.998, name)
        }
    }
}
