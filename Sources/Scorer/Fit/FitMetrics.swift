import Foundation

/// Agreement measures between the teacher and the student on the holdout rows.
public enum FitMetrics {
    /// Spearman's rank correlation (ties get their average rank); 0 when either side is constant.
    public static func spearman(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        return pearson(ranks(a), ranks(b))
    }

    static func ranks(_ v: [Float]) -> [Double] {
        let order = v.indices.sorted { v[$0] < v[$1] }
        var out = [Double](repeating: 0, count: v.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && v[order[j + 1]] == v[order[i]] { j += 1 }
            let rank = Double(i + j) / 2
            for t in i...j { out[order[t]] = rank }
            i = j + 1
        }
        return out
    }

    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard a.count > 1 else { return 0 }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            sab += (a[i] - ma) * (b[i] - mb)
            saa += (a[i] - ma) * (a[i] - ma)
            sbb += (b[i] - mb) * (b[i] - mb)
        }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : 0
    }

    /// Share of the teacher's top `fraction` (by score descending, ties by idx) that is also in the
    /// student's; at least one row.
    public static func topOverlap(teacher: [Float], student: [Float], idx: [Int64], fraction: Double) -> Double {
        guard !idx.isEmpty else { return 0 }
        let k = max(Int((Double(idx.count) * fraction).rounded(.down)), 1)
        func top(_ s: [Float]) -> Set<Int> {
            Set(s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : idx[$0] < idx[$1] }.prefix(k))
        }
        return Double(top(teacher).intersection(top(student)).count) / Double(k)
    }

    /// Micro and macro F1 of predicted style sets against the teacher's (bit sets over `styles` styles).
    /// Macro averages the styles that occur in either side.
    public static func styleF1(teacher: [UInt16], predicted: [UInt16], styles: Int) -> (micro: Double, macro: Double) {
        var tp = [Int](repeating: 0, count: styles), fp = tp, fn = tp
        for (t, p) in zip(teacher, predicted) {
            for s in 0..<styles {
                let bit = UInt16(1) << UInt16(s)
                switch (t & bit != 0, p & bit != 0) {
                case (true, true): tp[s] += 1
                case (false, true): fp[s] += 1
                case (true, false): fn[s] += 1
                case (false, false): break
                }
            }
        }
        func f1(_ tp: Int, _ fp: Int, _ fn: Int) -> Double { tp == 0 ? 0 : 2 * Double(tp) / Double(2 * tp + fp + fn) }
        let present = (0..<styles).filter { tp[$0] + fp[$0] + fn[$0] > 0 }
        let macro = present.isEmpty ? 0 : present.map { f1(tp[$0], fp[$0], fn[$0]) }.reduce(0, +) / Double(present.count)
        return (f1(tp.reduce(0, +), fp.reduce(0, +), fn.reduce(0, +)), macro)
    }

    /// The styles `ScoreHeads` would predict from logits: probability >= 0.5, and at least the top one.
    public static func predictedStyles(_ logits: [Float]) -> UInt16 {
        var bits: UInt16 = 0
        var top = 0
        for (s, z) in logits.enumerated() {
            if z >= 0 { bits |= 1 << UInt16(s) }
            if z > logits[top] { top = s }
        }
        return bits | 1 << UInt16(top)
    }

    /// Expected score of a capability's 6 logits.
    public static func expectedScore(_ z: ArraySlice<Float>) -> Float {
        let m = z.max() ?? 0
        var sum = 0.0, weighted = 0.0
        for (k, v) in z.enumerated() {
            let e = Foundation.exp(Double(v - m))
            sum += e
            weighted += Double(k) * e
        }
        return Float(weighted / sum)
    }
}
