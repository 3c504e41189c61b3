import Tensor

/// What to select and how.
public struct SelectionOptions: Sendable {
    public enum Method: String, Sendable, CaseIterable { case mmssr, random, score }

    public var method: Method
    /// Capability indices into `Capabilities.keys`, in the order the user gave.
    public var capabilities: [Int]
    public var threshold: Float
    public var budget: Budget
    public var seed: UInt64

    public init(method: Method = .mmssr, capabilities: [Int], threshold: Float = 0, budget: Budget, seed: UInt64 = 0) {
        self.method = method
        self.capabilities = capabilities
        self.threshold = threshold
        self.budget = budget
        self.seed = seed
    }
}

/// The outcome: row numbers of the store, in the order they were picked.
public struct Selection: Sendable {
    public var budget: Int
    public var rows: [Int32]
    /// For `mmssr`: how many rows each chosen capability contributed (parallel to `SelectionOptions.capabilities`).
    public var perCapability: [Int]
    public var shortfall: Int { budget - rows.count }

    public var warning: String? {
        guard shortfall > 0 else { return nil }
        return "selected \(rows.count) of the budget \(budget): short by \(shortfall), not enough ok rows pass the threshold"
    }
}

public enum Selector {
    public static func run(_ store: ScoreStore, _ options: SelectionOptions, poolSize: Int) -> Selection {
        let budget = options.budget.resolve(poolSize: poolSize)
        switch options.method {
        case .mmssr: return MMSSRSelector(store: store, options: options).select(budget: budget)
        case .random: return randomSelection(store, budget: budget, seed: options.seed, caps: options.capabilities.count)
        case .score: return scoreSelection(store, options, budget: budget)
        }
    }

    /// A uniform sample of `budget` ok rows: partial Fisher-Yates over the ok rows in table order, driven by
    /// SplitMix64(seed) with rejection-sampled bounds.
    static func randomSelection(_ store: ScoreStore, budget: Int, seed: UInt64, caps: Int) -> Selection {
        var pool = (0..<store.count).filter { store.ok[$0] }.map { Int32($0) }
        var rng = SplitMix64(seed: seed)
        let take = min(budget, pool.count)
        for i in 0..<take {
            let j = i + Int(rng.uniform(below: UInt64(pool.count - i)))
            pool.swapAt(i, j)
        }
        return Selection(budget: budget, rows: Array(pool[..<take]), perCapability: Array(repeating: 0, count: caps))
    }

    /// The `budget` ok rows with the highest mean of the chosen capability scores (mean > threshold, all
    /// chosen scores present), ties by idx ascending.
    static func scoreSelection(_ store: ScoreStore, _ options: SelectionOptions, budget: Int) -> Selection {
        var candidates: [(mean: Double, row: Int32)] = []
        for r in 0..<store.count where store.ok[r] {
            var sum = 0.0
            var complete = true
            for c in options.capabilities {
                let v = store.scores[c][r]
                if v.isNaN { complete = false; break }
                sum += Double(v)
            }
            let mean = sum / Double(max(options.capabilities.count, 1))
            if complete && mean > Double(options.threshold) { candidates.append((mean, Int32(r))) }
        }
        candidates.sort { a, b in
            a.mean != b.mean ? a.mean > b.mean : store.idx[Int(a.row)] < store.idx[Int(b.row)]
        }
        return Selection(
            budget: budget, rows: candidates.prefix(budget).map(\.row),
            perCapability: Array(repeating: 0, count: options.capabilities.count))
    }
}
