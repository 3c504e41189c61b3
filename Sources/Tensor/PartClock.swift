#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall time of a forward split by kind of op, for `mmssr bench`: where the time goes.
///
/// A model's forward threads one through its ops; a disabled clock only runs them, so the forward that is
/// measured is the forward that scores.
public struct PartClock: Sendable {
    public enum Part: Int, Sendable, CaseIterable, CustomStringConvertible {
        case linear, attention, other

        public var description: String {
            switch self {
            case .linear: "linear layers"
            case .attention: "attention"
            case .other: "the rest"
            }
        }
    }

    public let isEnabled: Bool
    public private(set) var seconds = [Double](repeating: 0, count: Part.allCases.count)

    public init(enabled: Bool) { isEnabled = enabled }

    /// Runs `body`, adding its wall time to `part` when enabled.
    public mutating func time<T>(_ part: Part, _ body: () -> T) -> T {
        guard isEnabled else { return body() }
        let start = Self.now()
        let result = body()
        seconds[part.rawValue] += Self.now() - start
        return result
    }

    public subscript(part: Part) -> Double { seconds[part.rawValue] }

    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    }
}
