import Foundation
import Tensor
import Vision

/// A pool item made ready for the teachers on a prepare worker: its prompts tokenized (image placeholders
/// expanded) and its image preprocessed for each teacher that shows it.
public struct TeacherSample: PoolSample {
    public let item: PoolItem
    public let scorerPrompts: [[Int32]]
    public let stylerPrompt: [Int32]?
    public let scorerPixels: Tensor?
    public let stylerPixels: Tensor?
    public let error: String?
}

/// `mmssr teach` as the score pipeline's model: the official scorer (and styler) per sample, giving the score
/// table's row (expected scores, style log-likelihoods, the styler's styles) and the official answers.
public final class TeacherScorer: BatchScorer {
    public let scorer: Teacher
    public let styler: Teacher?
    /// Indexes into `Capabilities.keys` of the capabilities to ask.
    public let capabilities: [Int]
    public let maxNewTokens: Int
    private let unknownStyles = Locked<[String: Int]>([:])

    public init(scorer: Teacher, styler: Teacher?, capabilities: [Int] = Array(Capabilities.keys.indices), maxNewTokens: Int = 1024) {
        self.scorer = scorer
        self.styler = styler
        self.capabilities = capabilities
        self.maxNewTokens = maxNewTokens
    }

    /// Names the models and the procedure's settings, so a resume never mixes two runs' rows.
    public var identity: String {
        "teach scorer=\(scorer.path)(\(scorer.precision)) styler=\(styler.map { "\($0.path)(\($0.precision))" } ?? "none")"
            + " caps=\(capabilities.map { Capabilities.keys[$0] }.joined(separator: ",")) max_new_tokens=\(maxNewTokens)"
    }

    /// Style names outside the 9 that the styler answered so far, with how often.
    public var unknownStyleCounts: [String: Int] { unknownStyles.read() }

    public func prepare(_ item: PoolItem, imagesRoot: String) -> TeacherSample {
        func failed(_ reason: String) -> TeacherSample {
            TeacherSample(item: item, scorerPrompts: [], stylerPrompt: nil, scorerPixels: nil, stylerPixels: nil, error: reason)
        }
        if let parseError = item.parseError { return failed(parseError) }
        guard !item.conversations.isEmpty else { return failed("no conversations") }
        guard item.images.count <= 1 else {
            return failed("\(item.images.count) images: the official procedure takes one image per sample")
        }
        let image: RGBImage?
        if let name = item.images.first, scorer.showsImages || styler?.showsImages == true {
            let path = name.hasPrefix("/") ? name : (imagesRoot as NSString).appendingPathComponent(name)
            do { image = try ImageDecoder.decode(path: path) } catch { return failed(error.description) }
            if let image, min(image.width, image.height) < 4 {
                return failed("image \(image.width)x\(image.height) is under 4 pixels on a side (the official processor cannot read it)")
            }
        } else {
            image = nil
        }
        let asked = capabilities.map { scorer.configuration.capabilityKeywords[$0] }.map(OfficialPrompt.capabilityQuery)
        let scorerPixels = image.flatMap { scorer.vision?.pixels($0) }
        let sameProcessing = styler?.vision?.tower.preprocessor.size == scorer.vision?.tower.preprocessor.size
            && styler?.vision?.tower.config.imageMean == scorer.vision?.tower.config.imageMean
            && styler?.vision?.tower.config.imageStd == scorer.vision?.tower.config.imageStd
        let stylerPixels = sameProcessing ? scorerPixels : image.flatMap { styler?.vision?.pixels($0) }
        let scorerPrompts = scorer.promptIDs(conversations: item.conversations, queries: asked,
                                             image: scorerPixels == nil ? nil : scorer.imageTokens)
        let stylerPrompt = styler.map { s in
            s.stylerPrompt(conversations: item.conversations, image: stylerPixels == nil ? nil : s.imageTokens)
        }
        for (teacher, prompt) in [(scorer, scorerPrompts.map(\.count).max() ?? 0), (styler, stylerPrompt?.count ?? 0)] {
            guard let teacher else { continue }
            let context = teacher.language.config.contextLength
            if prompt + maxNewTokens > context {
                return failed("prompt of \(prompt) tokens + \(maxNewTokens) new exceeds the teacher's context of \(context)")
            }
        }
        return TeacherSample(item: item, scorerPrompts: scorerPrompts, stylerPrompt: stylerPrompt, scorerPixels: scorerPixels,
                             stylerPixels: stylerPixels, error: nil)
    }

    public func score(_ batch: [TeacherSample]) -> [ScoreRow] {
        batch.map(row)
    }

    private func row(_ sample: TeacherSample) -> ScoreRow {
        let item = sample.item
        if let error = sample.error {
            return .failed(idx: Int64(item.idx), id: item.id, image: item.imageColumn, imageSource: item.imageSource, error: error)
        }
        var row = ScoreRow(idx: Int64(item.idx), id: item.id, image: item.imageColumn, imageSource: item.imageSource)
        var responses = [String](repeating: "", count: Capabilities.keys.count + 1)
        let asked = scorer.score(prompts: sample.scorerPrompts, embeddings: sample.scorerPixels.flatMap { scorer.vision?.embeddings(pixels: $0) },
                                 maxNewTokens: maxNewTokens)
        for (j, c) in capabilities.enumerated() {
            row.scores[c] = asked.scores[j]
            responses[c] = asked.responses[j]
        }
        if let styler, let prompt = sample.stylerPrompt {
            let styled = styler.style(prompt: prompt, embeddings: sample.stylerPixels.flatMap { styler.vision?.embeddings(pixels: $0) },
                                      maxNewTokens: maxNewTokens)
            row.styleLogits = styled.logLikelihoods.map { $0 }
            row.styles = styled.styles.joined(separator: ", ")
            responses[Capabilities.keys.count] = styled.response
            if !styled.unknownStyles.isEmpty {
                unknownStyles.update { counts in for name in styled.unknownStyles { counts[name, default: 0] += 1 } }
            }
        }
        row.responses = responses
        return row
    }
}
