import Foundation
import Tensor

/// `mmssr fit`: distils the capability and style heads from a teacher's labels on embedded items, and writes
/// a model file that is the base model with the fitted heads.
public enum Distillation {
    /// What `mmssr select --method mmssr` picks from `rows` with the capabilities `capabilities` at budget
    /// ratio `budget`, as idx values (the Select module provides it; tests may pass a stand-in).
    public typealias Selector = (_ rows: [ScoreRow], _ capabilities: [Int], _ budget: Double) -> [Int64]

    public static let selectionBudgets = [0.05, 0.1, 0.3]
    /// Below this holdout rho a capability is reported as not learnt.
    public static let learntRho = 0.2
    /// Fewer holdout rows than this make the metrics too noisy to judge.
    public static let minimumHoldout = 20

    public static func run(_ job: FitJob, select: Selector? = nil, log: (String) -> Void = { _ in }) throws(FitError) -> FitReport {
        guard !job.features.isEmpty else { throw .invalidArgument("give at least one --features file") }
        guard job.holdout >= 0 && job.holdout < 1 else { throw .invalidArgument("--holdout must be in [0, 1), got \(job.holdout)") }
        if let l2 = job.l2, !(l2 > 0 && l2.isFinite) { throw .invalidArgument("--l2 must be a positive number, got \(l2)") }
        let base: GGUFFile, baseHeads: ScoreHeads, layout: [String]
        do {
            base = try GGUFFile(path: job.base)
            layout = try base.strings("heads.features")
            baseHeads = try ScoreHeads(file: base, expectedLayout: layout)
        } catch {
            throw .model(error)
        }
        guard baseHeads.capabilityKeys == Capabilities.keys, baseHeads.styleNames == Styles.names else {
            throw .invalidArgument("\(job.base): its capability or style vocabulary differs from SPEC §1")
        }

        let labels = try LabelReader.read(path: job.labels)
        var report = FitReport(model: job.output, base: job.base, kind: "", seed: job.seed, holdoutShare: job.holdout)
        report.labelProblems = labels.problems
        report.counts.labelled = labels.count
        let data = try LabelledFeatures(paths: job.features, layout: layout, labels: labels, counts: &report.counts)
        guard data.count > 0 else {
            throw .noData("none of the \(labels.count) labelled items has an ok row in the features (do the idx values match the pool that was embedded?)")
        }
        let (train, holdout) = HoldoutSplit.split(idx: data.idx, share: job.holdout, seed: job.seed)
        report.counts.train = train.count
        report.counts.holdout = holdout.count
        log("labelled \(labels.count) items, \(data.count) with features: \(train.count) train, \(holdout.count) holdout")
        if job.holdout > 0 && holdout.count < minimumHoldout {
            report.warnings.append("only \(holdout.count) holdout rows: the metrics are noisy and the L2 choice is rough")
        }
        let lambdas = job.l2.map { [$0] } ?? (holdout.isEmpty ? [FitJob.defaultLambda] : FitJob.lambdaGrid)
        let f = data.featureCount
        let baseOut = holdout.isEmpty ? [] : baseHeads(Tensor(shape: [holdout.count, f], data: data.matrix(holdout)))
        let position = Dictionary(uniqueKeysWithValues: holdout.enumerated().map { ($1, $0) })

        var capWeight = try floats(base, "h.cap.weight"), capBias = try floats(base, "h.cap.bias")
        var styleWeight = try floats(base, "h.style.weight"), styleBias = try floats(base, "h.style.bias")
        let levels = ScoreHeads.levels
        /// Per holdout row and capability, the student's expected score (nil: the teacher has no label there).
        var student = [[Float?]](repeating: Array(repeating: nil, count: Capabilities.keys.count), count: holdout.count)
        var fitted: [Int] = []

        for (c, key) in Capabilities.keys.enumerated() {
            let has = { (r: Int) in !labels.scores[c][data.labelRow[r]].isNaN }
            let capTrain = train.filter(has), capHoldout = holdout.filter(has)
            var entry = FitReport.Capability(key: key, fitted: false, labels: capTrain.count + capHoldout.count,
                                             train: capTrain.count, holdout: capHoldout.count)
            guard !capTrain.isEmpty else {
                report.warnings.append(entry.labels == 0
                    ? "capability \(key): no labels; kept the base model's head"
                    : "capability \(key): all \(entry.labels) labels fell in the holdout; kept the base model's head")
                report.capabilities.append(entry)
                continue
            }
            log("fitting \(key): \(capTrain.count) train, \(capHoldout.count) holdout rows")
            let trainer = HeadTrainer(link: .softmax, outputs: levels, lambdas: lambdas)
            let result = trainer.fit(x: data.x, features: f, train: capTrain, holdout: capHoldout) { rows in
                rows.map { Float(TeacherLabels.level(labels.scores[c][data.labelRow[$0]])) }
            }
            fitted.append(c)
            entry.fitted = true
            entry.lambda = result.lambda
            entry.iterations = result.iterations
            capWeight.replaceSubrange((c * levels * f)..<((c + 1) * levels * f), with: result.weight)
            capBias.replaceSubrange((c * levels)..<((c + 1) * levels), with: result.bias)
            if let logits = result.holdoutLogits, capHoldout.count > 1 {
                let teacher = capHoldout.map { labels.scores[c][data.labelRow[$0]] }
                let predicted = (0..<capHoldout.count).map { i in FitMetrics.expectedScore(logits.data[(i * levels)..<((i + 1) * levels)]) }
                for (i, r) in capHoldout.enumerated() { student[position[r]!][c] = predicted[i] }
                let rho = FitMetrics.spearman(teacher, predicted)
                entry.holdoutRho = rho
                entry.baseRho = FitMetrics.spearman(teacher, capHoldout.map { baseOut[position[$0]!].scores[c] })
                entry.top30Overlap = FitMetrics.topOverlap(teacher: teacher, student: predicted, idx: capHoldout.map { data.idx[$0] }, fraction: 0.3)
                if capHoldout.count < minimumHoldout {
                    report.warnings.append("capability \(key): only \(capHoldout.count) holdout labels, too few to judge its rho")
                } else if rho < learntRho {
                    report.warnings.append("capability \(key): holdout rho \(String(format: "%.2f", rho)) — the student did not learn it")
                }
            }
            report.capabilities.append(entry)
        }

        // Styles: 9 logistic outputs, trained jointly on the items with a style label.
        let styleCount = Styles.names.count
        let hasStyles = { (r: Int) in labels.styles[data.labelRow[r]] != nil }
        let styleTrain = train.filter(hasStyles), styleHoldout = holdout.filter(hasStyles)
        report.styles.labels = styleTrain.count + styleHoldout.count
        var studentStyles = baseOut.map { FitMetrics.predictedStyles($0.styleLogits) }
        if styleTrain.isEmpty {
            report.warnings.append("styles: no labels in the training rows; kept the base model's style head")
        } else {
            log("fitting styles: \(styleTrain.count) train, \(styleHoldout.count) holdout rows")
            let trainer = HeadTrainer(link: .sigmoid, outputs: styleCount, lambdas: lambdas)
            let result = trainer.fit(x: data.x, features: f, train: styleTrain, holdout: styleHoldout) { rows in
                rows.flatMap { r in
                    let bits = labels.styles[data.labelRow[r]]!
                    return (0..<styleCount).map { bits & (1 << UInt16($0)) != 0 ? Float(1) : 0 }
                }
            }
            report.styles.fitted = true
            report.styles.lambda = result.lambda
            report.styles.iterations = result.iterations
            styleWeight = result.weight
            styleBias = result.bias
            if let logits = result.holdoutLogits {
                let teacher = styleHoldout.map { labels.styles[data.labelRow[$0]]! }
                let predicted = (0..<styleHoldout.count).map { FitMetrics.predictedStyles(logits.row($0)) }
                for (i, r) in styleHoldout.enumerated() { studentStyles[position[r]!] = predicted[i] }
                (report.styles.microF1, report.styles.macroF1) = FitMetrics.styleF1(teacher: teacher, predicted: predicted, styles: styleCount)
                (report.styles.baseMicroF1, report.styles.baseMacroF1) = FitMetrics.styleF1(
                    teacher: teacher, predicted: styleHoldout.map { FitMetrics.predictedStyles(baseOut[position[$0]!].styleLogits) }, styles: styleCount)
            }
        }

        if let select, !holdout.isEmpty, !fitted.isEmpty {
            report.selection = selectionOverlaps(select, capabilities: fitted, holdout: holdout, data: data, labels: labels,
                                                 student: student, studentStyles: studentStyles, stylesFitted: report.styles.fitted)
        }

        let fittedNames = fitted.count == Capabilities.keys.count ? "all capabilities" : "\(fitted.count)/\(Capabilities.keys.count) capabilities"
        report.kind = "fitted (\(fittedNames)\(report.styles.fitted ? " and styles" : ""), \(data.count) labelled items from "
            + "\((job.labels as NSString).lastPathComponent); base: \(baseHeads.kind))"
        try FittedModelWriter.write(base: base, heads: ["h.cap.weight": capWeight, "h.cap.bias": capBias,
                                                        "h.style.weight": styleWeight, "h.style.bias": styleBias],
                                    kind: report.kind, to: job.output)
        return report
    }

    /// The mmssr selection on the holdout rows with the teacher's and the student's scores and styles. A cell
    /// the teacher left empty is empty on both sides, so the two subsets differ only by what was predicted.
    private static func selectionOverlaps(
        _ select: Selector, capabilities: [Int], holdout: [Int], data: LabelledFeatures, labels: TeacherLabels,
        student: [[Float?]], studentStyles: [UInt16], stylesFitted: Bool
    ) -> [FitReport.SelectionOverlap] {
        func names(_ bits: UInt16) -> String {
            Styles.names.indices.filter { bits & (1 << UInt16($0)) != 0 }.map { Styles.names[$0] }.joined(separator: ", ")
        }
        var teacherRows: [ScoreRow] = [], studentRows: [ScoreRow] = []
        for (i, r) in holdout.enumerated() {
            let l = data.labelRow[r]
            let teacherScores: [Float?] = Capabilities.keys.indices.map { c in labels.scores[c][l].isNaN ? nil : labels.scores[c][l] }
            // Without fitted styles both sides bin by the student's (base) styles.
            let teacherStyles = stylesFitted ? labels.styles[l].map(names) ?? "" : names(studentStyles[i])
            let studentStyle = stylesFitted && labels.styles[l] == nil ? "" : names(studentStyles[i])
            teacherRows.append(ScoreRow(idx: data.idx[r], imageSource: data.imageSource[r], scores: teacherScores, styles: teacherStyles))
            studentRows.append(ScoreRow(idx: data.idx[r], imageSource: data.imageSource[r], scores: student[i], styles: studentStyle))
        }
        return selectionBudgets.map { budget in
            let t = Set(select(teacherRows, capabilities, budget)), s = Set(select(studentRows, capabilities, budget))
            return FitReport.SelectionOverlap(budget: budget, selected: t.count, overlap: t.isEmpty ? 0 : Double(t.intersection(s).count) / Double(t.count))
        }
    }

    private static func floats(_ file: GGUFFile, _ name: String) throws(FitError) -> [Float] {
        do { return try file.floats(tensor: name) } catch { throw .model(error) }
    }
}
