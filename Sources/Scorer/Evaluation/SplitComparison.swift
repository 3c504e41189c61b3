import Foundation

/// The heads on the held-out realistic set (example/realistic: a `dev` split to tune on and a `test` split to
/// report), each beside the regex/keyword baseline on the same items, in one side-by-side table: the splits
/// share no source, so the test columns say whether what was tuned on dev generalises.
public struct SplitComparison: Sendable {
    public struct Split: Sendable {
        public let name: String
        public let result: ExampleEvaluation
    }

    public let splits: [Split]

    /// The split folders `root/NAME/{pool,labels}.json`; every split's image paths are relative to `root/images`.
    public static let splitNames = ["dev", "test"]

    public static func run(model: ScoringModel, fp32: ScoringModel?, root: String, names: [String] = splitNames) throws -> SplitComparison {
        let folder = root as NSString
        let images = folder.appendingPathComponent("images")
        let splits = try names.map { name in
            let split = folder.appendingPathComponent(name) as NSString
            let labels = try ItemLabels.load(path: split.appendingPathComponent("labels.json"))
            return Split(name: name, result: try ExampleEvaluation.run(model: model, fp32: fp32, pool: split.appendingPathComponent("pool.json"),
                                                    images: images, labels: labels))
        }
        return SplitComparison(splits: splits)
    }

    public func report() -> String {
        func f(_ x: Double?) -> String { x.map { String(format: "%.3f", $0) } ?? "  -  " }
        func row(_ label: String, _ values: (ExampleEvaluation) -> [Double?]) -> String {
            label.padding(toLength: 34, withPad: " ", startingAt: 0)
                + splits.map { values($0.result).map(f).joined(separator: "  ") }.joined(separator: "    ")
        }
        var lines = [
            "".padding(toLength: 34, withPad: " ", startingAt: 0)
                + splits.map { "\($0.name) (\($0.result.items))".padding(toLength: 14, withPad: " ", startingAt: 0) }.joined(separator: "  "),
            "".padding(toLength: 34, withPad: " ", startingAt: 0) + splits.map { _ in "heads  baseline" }.joined(separator: "  "),
            row("style macro-F1 (target >= 0.85)") { [$0.heads.styleMacroF1, $0.baseline.styleMacroF1] },
            row("top-3 capability hit (>= 0.85)") { [$0.heads.top3HitRate, $0.baseline.top3HitRate] },
            "per-style F1 (target >= 0.6 each):",
        ]
        for (i, name) in Styles.names.enumerated() {
            lines.append(row("  " + name) { [$0.heads.perStyleF1[i], $0.baseline.perStyleF1[i]] })
        }
        if splits.contains(where: { $0.result.precisionAgreement != nil }) {
            lines.append(row("int8 = fp32 (share of items)") { [$0.precisionAgreement, nil] })
        }
        lines.append("baseline: regex styles (RegexStyler), keyword capabilities (KeywordCapabilityScorer)")
        return lines.joined(separator: "\n")
    }
}
