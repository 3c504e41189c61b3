/// Mean of the rows in each of `segments` (token ranges of `x`, `[tokens, dim]`): masked mean pooling
/// where the mask of a packed batch is its sequence ranges. Returns `[segments.count, dim]`; an empty
/// segment pools to zeros.
public func meanPool(_ x: Tensor, segments: [Range<Int>]) -> Tensor {
    let dim = x.cols
    var out = [Float](repeating: 0, count: segments.count * dim)
    for (s, range) in segments.enumerated() {
        guard !range.isEmpty else { continue }
        var acc = [Double](repeating: 0, count: dim)
        for r in range {
            for j in 0..<dim { acc[j] += Double(x.data[r * dim + j]) }
        }
        let inv = 1 / Double(range.count)
        for j in 0..<dim { out[s * dim + j] = Float(acc[j] * inv) }
    }
    return Tensor(shape: [segments.count, dim], data: out)
}
