import Foundation
import Tensor

/// What the heads say about one sample.
public struct HeadOutput: Sendable, Equatable {
    /// Expected score in [0, 5] per capability (SPEC order).
    public let scores: [Float]
    /// One logit per style (SPEC order); sigmoid gives the probability.
    public let styleLogits: [Float]
    /// Official names of the predicted styles, most probable first: every style with probability >= 0.5, and at
    /// least the most probable one.
    public let styles: [String]
}

/// Linear heads on the feature vector: per capability a 6-way softmax over the scores 0...5 (its expectation is
/// the capability score), and 9 independent style logits.
///
/// File tensors: `h.cap.weight` `[capabilities * 6, features]`, `h.cap.bias`, `h.style.weight` `[styles, features]`,
/// `h.style.bias`; metadata `heads.features` (the layout), `heads.kind`.
public struct ScoreHeads: Sendable {
    public static let levels = 6

    public let capabilityKeys: [String]
    public let styleNames: [String]
    public let featureCount: Int
    public let kind: String
    let capability: Linear
    let style: Linear

    public init(file: GGUFFile, expectedLayout: [String]) throws(ModelFileError) {
        capabilityKeys = try file.strings("scorer.capability_keys")
        styleNames = try file.strings("scorer.style_names")
        let layout = try file.strings("heads.features")
        guard layout == expectedLayout else {
            let firstDiff = zip(layout, expectedLayout).first { $0 != $1 }.map { "\($0.0) vs \($0.1)" } ?? "\(layout.count) vs \(expectedLayout.count) blocks"
            throw ModelFileError(path: file.path, offset: nil, reason: "heads were built for another feature layout (\(firstDiff)); rebuild or refit them")
        }
        kind = (try? file.string("heads.kind")) ?? "unknown"
        featureCount = layout.reduce(0) { $0 + (Int($1.split(separator: ":").last ?? "") ?? 0) }
        let c = capabilityKeys.count * Self.levels, s = styleNames.count
        capability = Linear(weight: try file.floats(tensor: "h.cap.weight", shape: [c, featureCount]),
                            bias: try file.floats(tensor: "h.cap.bias", shape: [c]), outFeatures: c, inFeatures: featureCount)
        style = Linear(weight: try file.floats(tensor: "h.style.weight", shape: [s, featureCount]),
                       bias: try file.floats(tensor: "h.style.bias", shape: [s]), outFeatures: s, inFeatures: featureCount)
    }

    /// Applies the heads to `[samples, features]`.
    public func callAsFunction(_ features: Tensor) -> [HeadOutput] {
        let capLogits = capability.forward(features), styleLogits = style.forward(features)
        return (0..<features.rows).map { r in
            let logits = capLogits.row(r)
            let scores = (0..<capabilityKeys.count).map { c in
                let z = Array(logits[c * Self.levels ..< (c + 1) * Self.levels])
                let m = z.max()!
                let e = z.map { Foundation.exp($0 - m) }
                return zip(0..., e).map { Float($0) * $1 }.reduce(0, +) / e.reduce(0, +)
            }
            let s = styleLogits.row(r)
            let ranked = s.indices.sorted { s[$0] != s[$1] ? s[$0] > s[$1] : $0 < $1 }
            let chosen = ranked.enumerated().filter { $0.offset == 0 || s[$0.element] >= 0 }.map { styleNames[$0.element] }
            return HeadOutput(scores: scores, styleLogits: s, styles: chosen)
        }
    }
}
