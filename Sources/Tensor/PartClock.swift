#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall time of a forward split by kind of op, for `mmssr bench`: where the time goes.
///
/// A model's forward marks the end of each op with the op's kind; a disabled clock does nothing, so the
/// forward that is measured is the forward that scores. (Marks rather than closures around the ops: a
/// closure would capture the op's input, and ops that consume their input would then copy it.)
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
    private var last = 0.0

    public init(enabled: Bool) { isEnabled = enabled }

    /// Starts the first op's interval.
    public mutating func start() {
        if isEnabled { last = Self.now() }
    }

    /// Adds the time since the previous mark (or `start`) to `part`.
    public mutating func mark(_ part: Part) {
        guard isEnabled else { return }
        let t = Self.now()
        seconds[part.rawValue] += t - last
        last = t
    }

    public subscript(part: Part) -> Double { seconds[part.rawValue] }

    /// Adds another clock's times (a worker's, when workers run forwards of their own).
    public mutating func add(_ other: PartClock) {
        for i in seconds.indices { seconds[i] += other.seconds[i] }
    }

    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + 1e-9 * Double(t.tv_nsec)
    }
}
