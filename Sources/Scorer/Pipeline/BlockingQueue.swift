import Foundation

/// A FIFO handing work between pipeline threads: `pop` waits for an element and returns nil once the queue
/// is closed and drained. Unbounded by itself; the pipeline bounds what is in flight with a semaphore.
final class BlockingQueue<Element: Sendable>: @unchecked Sendable {
    // Invariant: `items` and `closed` are only touched with `condition` locked.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false

    func push(_ element: Element) {
        condition.lock()
        items.append(element)
        condition.signal()
        condition.unlock()
    }

    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        // Compact now and then so a long run does not keep every element ever pushed.
        if head >= 1024 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return element
    }
}
