/// The training data: the ok feature rows of labelled items, raw, row-major `[count, featureCount]`,
/// with each row's idx, image source and row in the labels.
struct LabelledFeatures {
    var x: [Float] = []
    var idx: [Int64] = []
    var imageSource: [String] = []
    var labelRow: [Int] = []
    let featureCount: Int

    var count: Int { idx.count }

    /// Streams `paths`, keeping only labelled items; counts the rest into `counts`.
    init(paths: [String], layout: [String], labels: TeacherLabels, counts: inout FitReport.Counts) throws(FitError) {
        var seen = [Bool](repeating: false, count: labels.count)
        var width = 0
        for path in paths {
            let reader: FeatureFileReader
            do { reader = try FeatureFileReader(path: path) } catch { throw .features(error) }
            guard reader.header.layout == layout else {
                let diff = zip(reader.header.layout, layout).first { $0 != $1 }.map { "\($0.0) vs \($0.1)" }
                    ?? "\(reader.header.layout.count) vs \(layout.count) blocks"
                throw .invalidArgument("\(path): features were computed for another layout than the base model's heads (\(diff)); embed with the base model")
            }
            width = reader.header.featureCount
            do throws(FeatureFileError) {
                while let row = try reader.next() {
                    counts.featureRows += 1
                    if !row.isOK { counts.featureErrors += 1 }
                    guard let r = labels.row(of: row.idx) else { continue }
                    guard !seen[r] else { counts.duplicateFeatureRows += 1; continue }
                    seen[r] = true
                    guard let values = row.values else { counts.labelledFeatureErrors += 1; continue }
                    x += values
                    idx.append(row.idx)
                    imageSource.append(row.imageSource)
                    labelRow.append(r)
                }
            } catch {
                throw .features(error)
            }
        }
        featureCount = width
        counts.absentFromFeatures = seen.lazy.filter { !$0 }.count
        counts.joined = idx.count
    }

    /// Rows `rows` as a `[rows.count, featureCount]` matrix.
    func matrix(_ rows: [Int]) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows.count * featureCount)
        for r in rows { out += x[(r * featureCount)..<((r + 1) * featureCount)] }
        return out
    }
}
