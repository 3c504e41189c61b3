import Scorer

/// What was selected and why, written next to the subset as `<subset>.manifest.json`.
public struct Manifest: Sendable {
    public var command: [String]
    public var method: String
    public var capabilities: [String]
    public var threshold: Float
    public var budgetArgument: String
    public var budget: Int
    public var poolItems: Int
    public var okRows: Int
    public var selected: Int
    public var shortfall: Int
    public var warnings: [String]
    /// Counts keyed by capability key, style key (or the raw name for styles outside SPEC §1), and source.
    public var perCapability: [(String, Int)]
    public var perStyle: [(String, Int)]
    public var perSource: [(String, Int)]

    init(store: ScoreStore, selection: Selection, request: SelectPipeline.Request, poolSize: Int, warnings: [String]) {
        command = request.commandLine
        method = request.options.method.rawValue
        capabilities = request.options.capabilities.map { Capabilities.keys[$0] }
        threshold = request.options.threshold
        budgetArgument = request.options.budget.description
        budget = selection.budget
        poolItems = poolSize
        okRows = store.ok.reduce(0) { $0 + ($1 ? 1 : 0) }
        selected = selection.rows.count
        shortfall = selection.shortfall
        self.warnings = warnings
        perCapability = request.options.method == .mmssr ? Array(zip(capabilities, selection.perCapability)) : []
        var styles = [Int](repeating: 0, count: store.styleNames.count)
        var sources = [Int](repeating: 0, count: store.sourceNames.count)
        for r in selection.rows {
            for s in store.styles(of: Int(r)) { styles[Int(s)] += 1 }
            sources[Int(store.source[Int(r)])] += 1
        }
        perStyle = styles.enumerated().filter { $0.element > 0 }.map { i, n in
            (i < Styles.keys.count ? Styles.keys[i] : store.styleNames[i], n)
        }
        perSource = sources.enumerated().filter { $0.element > 0 }.map { (store.sourceNames[$0.offset], $0.element) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    public static func path(forSubset subset: String) -> String {
        (subset.hasSuffix(".json") ? String(subset.dropLast(5)) : subset) + ".manifest.json"
    }

    public func json() -> String {
        func counts(_ pairs: [(String, Int)]) -> String {
            "{" + pairs.map { "\n    \(jsonString($0.0)): \($0.1)" }.joined(separator: ",") + (pairs.isEmpty ? "}" : "\n  }")
        }
        return """
        {
          "command": [\(command.map(jsonString).joined(separator: ", "))],
          "method": \(jsonString(method)),
          "capabilities": [\(capabilities.map(jsonString).joined(separator: ", "))],
          "threshold": \(threshold),
          "budget_argument": \(jsonString(budgetArgument)),
          "budget": \(budget),
          "pool_items": \(poolItems),
          "ok_rows": \(okRows),
          "selected": \(selected),
          "shortfall": \(shortfall),
          "warnings": [\(warnings.map(jsonString).joined(separator: ", "))],
          "per_capability": \(counts(perCapability)),
          "per_style": \(counts(perStyle)),
          "per_source": \(counts(perSource))
        }

        """
    }
}
