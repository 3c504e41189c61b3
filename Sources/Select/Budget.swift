/// `--budget`: a ratio in (0, 1) of the pool, or a count ≥ 1 (SPEC §4).
public enum Budget: Sendable, Equatable, CustomStringConvertible {
    case ratio(Double)
    case count(Int)

    public init?(_ text: String) {
        if let n = Int(text) {
            guard n >= 1 else { return nil }
            self = .count(n)
        } else if let r = Double(text), r > 0, r < 1 {
            self = .ratio(r)
        } else {
            return nil
        }
    }

    /// B for a pool of `poolSize` items: floor(N x ratio), or the count.
    public func resolve(poolSize: Int) -> Int {
        switch self {
        case let .ratio(r): return Int((Double(poolSize) * r).rounded(.down))
        case let .count(n): return n
        }
    }

    public var description: String {
        switch self {
        case let .ratio(r): return "\(r)"
        case let .count(n): return "\(n)"
        }
    }
}
