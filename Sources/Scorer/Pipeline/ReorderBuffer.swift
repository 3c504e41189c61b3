import Foundation

/// Puts prepared samples back in pool order: workers finish in any order, the compute thread takes them by
/// sequence number. `take(n)` waits for sample n, or returns nil once the end is known to lie before it.
final class ReorderBuffer<Element: Sendable>: @unchecked Sendable {
    // Invariant: `ready` and `end` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var ready: [Int: Element] = [:]
    private var end: Int?

    func put(_ sequence: Int, _ element: Element) {
        condition.lock()
        ready[sequence] = element
        condition.broadcast()
        condition.unlock()
    }

    /// No sample at `count` or later will come.
    func finish(count: Int) {
        condition.lock()
        end = count
        condition.broadcast()
        condition.unlock()
    }

    func take(_ sequence: Int) -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let element = ready.removeValue(forKey: sequence) { return element }
            if let end, sequence >= end { return nil }
            condition.wait()
        }
    }
}
