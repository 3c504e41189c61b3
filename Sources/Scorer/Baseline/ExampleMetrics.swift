/// The metrics `mmssr eval` reports on a labelled pool (example/pool.json + example/labels.json), for the model
/// and for the regex/keyword baseline alike.
public enum ExampleMetrics {
    /// Macro-averaged F1 over styles: for every style s in 0..<styleCount, over all items,
    /// TP = predicted and labelled, FP = predicted only, FN = labelled only, F1 = 2TP / (2TP + FP + FN);
    /// the result is the mean over the styles that occur at least once in either the predictions or the labels
    /// (a style nobody predicted and nobody labelled says nothing either way, so it is left out; if no style
    /// occurs at all the result is 1). Indices outside 0..<styleCount are ignored.
    /// `predicted` and `labelled` must have the same length (item i of one matches item i of the other).
    public static func styleMacroF1(predicted: [Set<Int>], labelled: [Set<Int>], styleCount: Int) -> Double {
        precondition(predicted.count == labelled.count, "styleMacroF1: \(predicted.count) predictions for \(labelled.count) labelled items")
        guard styleCount > 0 else { return 1 }
        var tp = [Int](repeating: 0, count: styleCount)
        var fp = tp, fn = tp
        for (p, l) in zip(predicted, labelled) {
            for s in 0..<styleCount {
                switch (p.contains(s), l.contains(s)) {
                case (true, true): tp[s] += 1
                case (true, false): fp[s] += 1
                case (false, true): fn[s] += 1
                case (false, false): break
                }
            }
        }
        var sum = 0.0, n = 0
        for s in 0..<styleCount {
            let denom = 2 * tp[s] + fp[s] + fn[s]
            if denom == 0 { continue }
            sum += Double(2 * tp[s]) / Double(denom)
            n += 1
        }
        return n == 0 ? 1 : sum / Double(n)
    }

    /// Per-style F1 (same definitions as `styleMacroF1`); nil for a style that occurs nowhere.
    public static func styleF1(predicted: [Set<Int>], labelled: [Set<Int>], styleCount: Int) -> [Double?] {
        precondition(predicted.count == labelled.count)
        return (0..<max(styleCount, 0)).map { s in
            var tp = 0, fp = 0, fn = 0
            for (p, l) in zip(predicted, labelled) {
                switch (p.contains(s), l.contains(s)) {
                case (true, true): tp += 1
                case (true, false): fp += 1
                case (false, true): fn += 1
                case (false, false): break
                }
            }
            let denom = 2 * tp + fp + fn
            return denom == 0 ? nil : Double(2 * tp) / Double(denom)
        }
    }

    /// The indices of the k highest scores, highest first; ties go to the lower index (SPEC order), and NaN
    /// ranks below every number.
    public static func topK(_ scores: [Float], k: Int) -> [Int] {
        let order = scores.indices.sorted { a, b in
            let x = scores[a].isNaN ? -Float.infinity : scores[a]
            let y = scores[b].isNaN ? -Float.infinity : scores[b]
            return x != y ? x > y : a < b
        }
        return Array(order.prefix(max(k, 0)))
    }

    /// Share of items where at least one of the 3 highest-scored capabilities (ties by SPEC order, see `topK`)
    /// is among the item's labelled capabilities. Every item counts in the denominator (an item with no label
    /// is a miss); an empty input gives 0.
    public static func top3HitRate(scores: [[Float]], labelled: [Set<Int>]) -> Double {
        precondition(scores.count == labelled.count, "top3HitRate: \(scores.count) score rows for \(labelled.count) labelled items")
        guard !scores.isEmpty else { return 0 }
        var hits = 0
        for (row, labels) in zip(scores, labelled) where topK(row, k: 3).contains(where: labels.contains) {
            hits += 1
        }
        return Double(hits) / Double(scores.count)
    }
}
