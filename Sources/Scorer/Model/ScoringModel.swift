import Foundation
import Tensor
import Vision

/// A pool item made ready for the model: texts split, images decoded and preprocessed. Built on worker
/// threads (`ScoringModel.prepare`), consumed in batches by `ScoringModel.score`.
public struct PreparedSample: Sendable {
    public let item: PoolItem
    public let text: SampleText
    /// One CHW tensor per image, in the item's order; empty for text-only samples.
    public let pixels: [[Float]]
    /// The text's `SurfaceFeatures`, computed here so that they run on the prepare threads beside the forward,
    /// not on the forward's thread between its parallel parts, where they left a core idle; empty with an error.
    public let surface: [Float]
    /// Why the item cannot be scored, as the one-line reason of its error row.
    public let error: String?
}

/// The whole scorer in one model file: tokenizer, text tower, vision tower and heads. One forward gives all
/// 14 capability scores and 9 style logits of a batch.
public final class ScoringModel: Sendable {
    public let path: String
    public let tokenizer: WordPieceTokenizer
    public let text: TextEncoder
    public let vision: VisionTransformer
    public let heads: ScoreHeads
    public let preprocessor: ImagePreprocessor
    /// `int8` or `f32`: what the matrices actually run in.
    public let precision: String

    /// Loads and validates `path`. `fp32` runs an int8 file's matrices in fp32.
    public init(path: String, fp32: Bool = false) throws {
        let file = try GGUFFile(path: path)
        self.path = path
        tokenizer = try WordPieceTokenizer(file: file)
        text = try TextEncoder(file: file, dequantize: fp32)
        vision = try VisionTransformer(file: file, dequantize: fp32)
        heads = try ScoreHeads(file: file, expectedLayout: FeatureLayout.descriptor(textDim: text.config.hidden, visionDim: vision.config.dim))
        preprocessor = ImagePreprocessor(size: vision.config.imageSize, mean: vision.config.imageMean, std: vision.config.imageStd)
        let stored = (try? file.string("mmssr.precision")) ?? "f32"
        precision = fp32 ? "f32" : stored
    }

    /// Decodes and preprocesses the item's images (relative to `imagesRoot`) and computes its surface features.
    /// Thread-safe; never throws: a problem becomes the sample's `error`.
    public func prepare(_ item: PoolItem, imagesRoot: String) -> PreparedSample {
        let text = SampleText(conversations: item.conversations, characterLimit: SampleText.characterLimit(maxTokens: self.text.config.maxTokens))
        func failed(_ reason: String) -> PreparedSample { PreparedSample(item: item, text: text, pixels: [], surface: [], error: reason) }
        if let parseError = item.parseError { return failed(parseError) }
        guard !item.conversations.isEmpty else { return failed("no conversations") }
        guard !text.question.isEmpty || !text.answer.isEmpty else { return failed("conversations hold no human or gpt text") }
        var pixels = [[Float]]()
        for image in item.images {
            let path = image.hasPrefix("/") ? image : (imagesRoot as NSString).appendingPathComponent(image)
            do {
                pixels.append(try preprocessor.tensor(path: path).data)
            } catch {
                return failed(error.description)
            }
        }
        let surface = SurfaceFeatures.compute(text, rounds: SampleText.rounds(item.conversations))
        return PreparedSample(item: item, text: text, pixels: pixels, surface: surface, error: nil)
    }

    /// The text tower's two inputs for a sample: its question and its answer, each cut at `text.max_tokens`.
    public func tokenIDs(_ sample: SampleText) -> [[Int32]] {
        let maxTokens = text.config.maxTokens
        return [tokenizer.encode(sample.question, maxTokens: maxTokens), tokenizer.encode(sample.answer, maxTokens: maxTokens)]
    }

    /// The heads' input for each sample without an error, `[ok samples, features]`, in batch order.
    public func features(_ batch: [PreparedSample]) -> Tensor {
        let ok = batch.filter { $0.error == nil }
        let ids = ok.flatMap { tokenIDs($0.text) }
        let textEmbeddings = text.embed(ids)
        let images = ok.flatMap(\.pixels)
        let visual = images.isEmpty ? nil : vision.features(images)
        let cls = visual.map { l2Normalized($0.cls) }, patchMean = visual.map { l2Normalized($0.patchMean) }
        let (td, vd) = (text.config.hidden, vision.config.dim)
        var rows = [Float]()
        rows.reserveCapacity(ok.count * FeatureLayout.width(textDim: td, visionDim: vd))
        var image = 0
        for (i, sample) in ok.enumerated() {
            rows += textEmbeddings.row(2 * i)
            rows += textEmbeddings.row(2 * i + 1)
            // Multi-image samples use the mean of their images' features.
            var c = [Float](repeating: 0, count: vd), p = [Float](repeating: 0, count: vd)
            for _ in sample.pixels {
                for j in 0..<vd { c[j] += cls!.data[image * vd + j]; p[j] += patchMean!.data[image * vd + j] }
                image += 1
            }
            let n = Float(max(sample.pixels.count, 1))
            rows += c.map { $0 / n }
            rows += p.map { $0 / n }
            rows.append(sample.pixels.isEmpty ? 0 : 1)
            rows += sample.surface
        }
        return Tensor(shape: [ok.count, heads.featureCount], data: rows)
    }

    /// Score rows for a batch, in batch order; samples with an error become error rows.
    public func score(_ batch: [PreparedSample]) -> [ScoreRow] {
        let outputs = heads(features(batch))
        var next = 0
        return batch.map { sample in
            let item = sample.item
            let idx = Int64(item.idx)
            if let error = sample.error {
                return .failed(idx: idx, id: item.id, image: item.imageColumn, imageSource: item.imageSource, error: error)
            }
            let out = outputs[next]
            next += 1
            return ScoreRow(idx: idx, id: item.id, image: item.imageColumn, imageSource: item.imageSource,
                            scores: out.scores.map { $0 }, styleLogits: out.styleLogits.map { $0 },
                            styles: out.styles.joined(separator: ", "))
        }
    }
}
