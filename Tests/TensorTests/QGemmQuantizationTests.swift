import Tensor
import XCTest

final class QGemmQuantizationTests: XCTestCase {
    /// Round trip bound: each element is within half a step (scale / 2) of its dequantised value, plus
    /// fp32 rounding of the division and product (a few ulps of the row maximum); the row maximum maps
    /// to +-127 exactly; an all-zero row stays zero.
    func testRoundTripWithinHalfAStep() {
        var rng = QGemmRandom(seed: 3)
        let rows = 9, cols = 301
        let x = rng.activations(rows: rows, cols: cols)
        let (q, scales) = Quantization.quantizeRows(x, rows: rows, cols: cols)
        let back = Quantization.dequantizeRows(q, scales: scales, rows: rows, cols: cols)
        for r in 0..<rows {
            let row = x[r * cols ..< (r + 1) * cols]
            let absmax = row.map { abs($0) }.max()!
            XCTAssertEqual(scales[r], absmax / 127, "row \(r) scale")
            if absmax == 0 {
                XCTAssertTrue(q[r * cols ..< (r + 1) * cols].allSatisfy { $0 == 0 }, "zero row \(r)")
                continue
            }
            XCTAssertEqual(q[r * cols ..< (r + 1) * cols].map { abs(Int($0)) }.max(), 127, "row \(r) reaches 127")
            let bound = scales[r] / 2 + 4 * absmax.ulp
            for c in 0..<cols {
                XCTAssertLessThanOrEqual(abs(back[r * cols + c] - x[r * cols + c]), bound, "x[\(r), \(c)]")
            }
        }
    }

    /// Values on exact rounding ties go to the even integer, as numpy's np.round does.
    func testTiesRoundToEven() {
        let x: [Float] = [127, 0.5, 1.5, 2.5, -0.5, -1.5, 126.5]
        let (q, scales) = Quantization.quantizeRows(x, rows: 1, cols: x.count)
        XCTAssertEqual(scales, [1])
        XCTAssertEqual(q, [127, 0, 2, 2, 0, -2, 126])
    }
}
