/// A dense fp32 tensor: a shape and contiguous row-major storage.
///
/// Value semantics (copy-on-write through `[Float]`). The last dimension is the "row" length; every
/// op in this module treats a tensor as `rows x cols` with `cols = shape.last`.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "shape \(shape) does not match \(data.count) elements")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }
    /// Length of the innermost dimension.
    public var cols: Int { shape.last ?? 1 }
    /// Number of rows when viewed as a matrix `rows x cols`.
    public var rows: Int { cols == 0 ? 0 : count / cols }

    /// The same storage under a new shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Row `i` of the `rows x cols` view, copied.
    public func row(_ i: Int) -> [Float] {
        Array(data[i * cols ..< (i + 1) * cols])
    }

    /// Rows `range` of the `rows x cols` view as a new `[range.count, cols]` tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        Tensor(shape: [range.count, cols], data: Array(data[range.lowerBound * cols ..< range.upperBound * cols]))
    }

    /// Stacks equal-width matrices along the row axis.
    public static func concatRows(_ parts: [Tensor]) -> Tensor {
        guard let first = parts.first else { return Tensor(zeros: [0, 0]) }
        precondition(parts.allSatisfy { $0.cols == first.cols }, "concatRows: column counts differ")
        var data = [Float]()
        data.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { data.append(contentsOf: p.data) }
        return Tensor(shape: [data.count / first.cols, first.cols], data: data)
    }
}
