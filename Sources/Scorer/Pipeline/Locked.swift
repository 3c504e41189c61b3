import Foundation

/// A value shared between pipeline threads behind a lock.
final class Locked<Value: Sendable>: @unchecked Sendable {
    // Invariant: `value` is only read or written with `lock` held.
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func read() -> Value { lock.withLock { value } }

    func update(_ body: (inout Value) -> Void) { lock.withLock { body(&value) } }
}
