import Foundation
import Tensor

/// The intended labels of a pool's items (example/labels.json: `[{"idx", "capabilities": [keys], "styles": [names]}]`).
public struct ItemLabels: Sendable {
    public let capabilities: Set<Int>
    public let styles: Set<Int>

    public static func load(path: String) throws -> [Int: ItemLabels] {
        guard let entries = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [[String: Any]] else {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path])
        }
        var out = [Int: ItemLabels]()
        for e in entries {
            guard let idx = e["idx"] as? Int else { continue }
            let caps = (e["capabilities"] as? [String] ?? []).compactMap { Capabilities.keys.firstIndex(of: $0) }
            let styles = (e["styles"] as? [String] ?? []).compactMap { Styles.names.firstIndex(of: $0) }
            out[idx] = ItemLabels(capabilities: Set(caps), styles: Set(styles))
        }
        return out
    }
}

/// Quality of one scorer on a labelled pool.
public struct LabelledQuality: Sendable {
    public let styleMacroF1: Double
    public let perStyleF1: [Double?]
    public let top3HitRate: Double
}

/// The default heads against the regex/keyword baseline on a labelled pool (issue: the bundled example), plus
/// how far each capability's scores spread and how closely int8 follows fp32.
public struct ExampleEvaluation: Sendable {
    public let items: Int
    public let heads: LabelledQuality
    public let baseline: LabelledQuality
    /// max - min of each capability's score over the pool (SPEC order).
    public let spreads: [Float]
    /// Share of items whose styles are identical and all 14 scores within 0.05 between int8 and fp32, if compared.
    public let precisionAgreement: Double?

    public static func run(model: ScoringModel, fp32: ScoringModel?, pool: String, images: String, labels: [Int: ItemLabels]) throws -> ExampleEvaluation {
        let reader = try PoolReader(path: pool)
        var samples = [PreparedSample]()
        while let item = try reader.next() { samples.append(model.prepare(item, imagesRoot: images)) }
        if let bad = samples.first(where: { $0.error != nil }) {
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "item \(bad.item.idx): \(bad.error!)"])
        }
        let rows = model.score(samples)
        let truth = samples.map { labels[$0.item.idx] ?? ItemLabels(capabilities: [], styles: []) }
        func quality(styles: [Set<Int>], scores: [[Float]]) -> LabelledQuality {
            LabelledQuality(
                styleMacroF1: ExampleMetrics.styleMacroF1(predicted: styles, labelled: truth.map(\.styles), styleCount: Styles.names.count),
                perStyleF1: ExampleMetrics.styleF1(predicted: styles, labelled: truth.map(\.styles), styleCount: Styles.names.count),
                top3HitRate: ExampleMetrics.top3HitRate(scores: scores, labelled: truth.map(\.capabilities)))
        }
        let headScores = rows.map { $0.scores.map { $0 ?? 0 } }
        let headStyles = rows.map { Set(Styles.split($0.styles).compactMap { Styles.names.firstIndex(of: $0) }) }
        let baseStyles = samples.map { RegexStyler.styles(question: $0.text.question, answer: $0.text.answer) }
        let baseScores = samples.map { KeywordCapabilityScorer.scores(text: $0.text.question + "\n" + $0.text.answer) }
        let spreads = Capabilities.keys.indices.map { c in
            let v = headScores.map { $0[c] }
            return (v.max() ?? 0) - (v.min() ?? 0)
        }
        var agreement: Double?
        if let fp32 {
            let reference = fp32.score(samples)
            let same = zip(rows, reference).filter { a, b in
                a.styles == b.styles && zip(a.scores, b.scores).allSatisfy { abs(($0 ?? 0) - ($1 ?? 0)) <= 0.05 }
            }.count
            agreement = Double(same) / Double(max(rows.count, 1))
        }
        return ExampleEvaluation(items: rows.count, heads: quality(styles: headStyles, scores: headScores),
                                 baseline: quality(styles: baseStyles, scores: baseScores), spreads: spreads,
                                 precisionAgreement: agreement)
    }

    public func report() -> String {
        func f(_ x: Double) -> String { String(format: "%.3f", x) }
        var lines = ["items: \(items)",
                     "                      heads   baseline   target",
                     "style macro-F1        \(f(heads.styleMacroF1))   \(f(baseline.styleMacroF1))      >= 0.85",
                     "top-3 capability hit  \(f(heads.top3HitRate))   \(f(baseline.top3HitRate))      >= 0.80",
                     "", "per-style F1 (heads / baseline):"]
        for (i, name) in Styles.names.enumerated() {
            let h = heads.perStyleF1[i].map(f) ?? "  -  ", b = baseline.perStyleF1[i].map(f) ?? "  -  "
            lines.append("  \(name.padding(toLength: 32, withPad: " ", startingAt: 0)) \(h) / \(b)")
        }
        lines.append("")
        lines.append("score spread (max - min) per capability, target >= 1.5:")
        for (key, s) in zip(Capabilities.keys, spreads) {
            lines.append("  \(key.padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(format: "%.2f", s))")
        }
        if let precisionAgreement {
            lines.append("")
            lines.append("int8 vs fp32: same styles and all scores within 0.05 on \(String(format: "%.1f", precisionAgreement * 100))% of items (target >= 99%)")
        }
        return lines.joined(separator: "\n")
    }
}
