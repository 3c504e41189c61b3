/// Keys and values of one sequence, per layer: row t holds the rotated keys (values) of token t for every KV
/// head, `kvHeads * headDim` floats. A prefix cache filled once can be shared, read-only, by any number of
/// continuations, each with its own cache for the tokens after the prefix.
///
/// A class over manually managed buffers so attention kernels on several threads can read stable pointers.
/// Invariant (why it is `@unchecked Sendable`): only the forward that appends to a cache writes it, and a
/// cache used as a prefix is never appended to while continuations read it.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let rowWidth: Int
    public private(set) var count = 0
    public private(set) var capacity: Int
    private var keys: [UnsafeMutablePointer<Float>]
    private var values: [UnsafeMutablePointer<Float>]

    public init(layers: Int, rowWidth: Int, capacity: Int = 64) {
        self.layers = layers
        self.rowWidth = rowWidth
        self.capacity = max(1, capacity)
        keys = (0..<layers).map { _ in .allocate(capacity: max(1, capacity) * rowWidth) }
        values = (0..<layers).map { _ in .allocate(capacity: max(1, capacity) * rowWidth) }
    }

    deinit {
        for p in keys { p.deallocate() }
        for p in values { p.deallocate() }
    }

    /// Makes room for `tokens` more rows (call before a forward writes them).
    public func reserve(_ tokens: Int) {
        guard count + tokens > capacity else { return }
        let grown = max(count + tokens, capacity * 2)
        for l in 0..<layers {
            for buffers in [\KVCache.keys, \KVCache.values] as [ReferenceWritableKeyPath<KVCache, [UnsafeMutablePointer<Float>]>] {
                let p = UnsafeMutablePointer<Float>.allocate(capacity: grown * rowWidth)
                p.update(from: self[keyPath: buffers][l], count: count * rowWidth)
                self[keyPath: buffers][l].deallocate()
                self[keyPath: buffers][l] = p
            }
        }
        capacity = grown
    }

    /// Row `count + t` of layer `layer`'s keys and values, for the forward that is filling them.
    public func pendingRow(layer: Int, _ t: Int) -> (keys: UnsafeMutablePointer<Float>, values: UnsafeMutablePointer<Float>) {
        precondition(count + t < capacity, "KVCache: row past the reserved capacity")
        return (keys[layer] + (count + t) * rowWidth, values[layer] + (count + t) * rowWidth)
    }

    /// The first `rows` rows of a layer (committed and pending) as a kernel span.
    public func span(layer: Int, rows: Int) -> (keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        precondition(rows <= capacity)
        return (UnsafePointer(keys[layer]), UnsafePointer(values[layer]))
    }

    /// Counts `tokens` pending rows (written in every layer) as part of the cache.
    public func commit(_ tokens: Int) {
        precondition(count + tokens <= capacity)
        count += tokens
    }

    /// Forgets rows past `tokens` (a continuation scored and discarded).
    public func truncate(to tokens: Int) {
        precondition(tokens <= count)
        count = tokens
    }
}
