import Foundation

/// What `mmssr fit` did and how well the student follows the teacher on the holdout rows; written as JSON
/// by `--report` and summarised on stderr.
public struct FitReport: Sendable, Codable {
    public struct Capability: Sendable, Codable {
        public var key: String
        /// false: no labels, the base model's head was kept.
        public var fitted: Bool
        public var labels = 0
        public var train = 0
        public var holdout = 0
        public var lambda: Double?
        public var iterations: Int?
        /// Spearman rho of teacher score vs student expected score on the holdout.
        public var holdoutRho: Double?
        /// The same for the base model's head, for comparison.
        public var baseRho: Double?
        /// Share of the teacher's top 30% that is in the student's top 30%.
        public var top30Overlap: Double?

        enum CodingKeys: String, CodingKey {
            case key, fitted, labels, train, holdout, lambda, iterations
            case holdoutRho = "holdout_rho", baseRho = "base_rho", top30Overlap = "top30_overlap"
        }
    }

    public struct StyleHead: Sendable, Codable {
        public var fitted: Bool
        public var labels = 0
        public var lambda: Double?
        public var iterations: Int?
        public var microF1: Double?
        public var macroF1: Double?
        public var baseMicroF1: Double?
        public var baseMacroF1: Double?

        enum CodingKeys: String, CodingKey {
            case fitted, labels, lambda, iterations
            case microF1 = "micro_f1", macroF1 = "macro_f1", baseMicroF1 = "base_micro_f1", baseMacroF1 = "base_macro_f1"
        }
    }

    /// `mmssr select --method mmssr` on the holdout rows with the teacher's vs the student's scores.
    public struct SelectionOverlap: Sendable, Codable {
        public var budget: Double
        public var selected: Int
        /// Share of the teacher's subset that the student's subset holds too.
        public var overlap: Double
    }

    public struct Counts: Sendable, Codable {
        /// Items with at least one usable label.
        public var labelled = 0
        /// Feature rows read (all files), and the error rows among them.
        public var featureRows = 0
        public var featureErrors = 0
        /// Labelled items with an ok feature row: the training data.
        public var joined = 0
        /// Labelled items with no feature row at all.
        public var absentFromFeatures = 0
        /// Labelled items whose feature row is an error row.
        public var labelledFeatureErrors = 0
        public var duplicateFeatureRows = 0
        public var train = 0
        public var holdout = 0

        enum CodingKeys: String, CodingKey {
            case labelled, joined, train, holdout
            case featureRows = "feature_rows", featureErrors = "feature_errors"
            case absentFromFeatures = "absent_from_features", labelledFeatureErrors = "labelled_feature_errors"
            case duplicateFeatureRows = "duplicate_feature_rows"
        }
    }

    public var model: String
    public var base: String
    public var kind: String
    public var seed: UInt64
    public var holdoutShare: Double
    public var counts = Counts()
    public var labelProblems = LabelProblems()
    public var capabilities: [Capability] = []
    public var styles = StyleHead(fitted: false)
    public var selection: [SelectionOverlap] = []
    public var warnings: [String] = []

    enum CodingKeys: String, CodingKey {
        case model, base, kind, seed, counts, capabilities, styles, selection, warnings
        case holdoutShare = "holdout_share", labelProblems = "label_problems"
    }

    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    /// The human summary: one line per head, then the selection overlaps and warnings.
    public var summary: [String] {
        func f(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "-" }
        var lines = ["labelled \(counts.labelled) items, \(counts.joined) with features (train \(counts.train), holdout \(counts.holdout))"]
        for c in capabilities {
            lines.append(c.fitted
                ? "  \(c.key): \(c.labels) labels, lambda \(c.lambda.map { String($0) } ?? "-"), holdout rho \(f(c.holdoutRho)) (base \(f(c.baseRho))), top-30% overlap \(f(c.top30Overlap))"
                : "  \(c.key): no labels, base head kept")
        }
        lines.append(styles.fitted
            ? "  styles: \(styles.labels) labels, micro F1 \(f(styles.microF1)) (base \(f(styles.baseMicroF1))), macro F1 \(f(styles.macroF1)) (base \(f(styles.baseMacroF1)))"
            : "  styles: no labels, base head kept")
        for s in selection {
            lines.append("  select mmssr at \(s.budget): teacher and student subsets share \(f(s.overlap)) of \(s.selected) rows")
        }
        return lines + warnings.map { "warning: " + $0 }
    }
}
