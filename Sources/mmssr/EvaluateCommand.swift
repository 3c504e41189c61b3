import ArgumentParser
import Foundation
import Scorer

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Quality of a model's heads on a labelled pool, beside a regex/keyword baseline (default: the bundled example)."
    )

    @Argument(help: "A labelled LLaVA pool.")
    var pool = "example/pool.json"

    @Option(help: "Labels file: [{idx, capabilities, styles}].")
    var labels = "example/labels.json"

    @Option(help: "Root folder of the pool's image paths.")
    var images = "example/images"

    @Option(help: "Model file.")
    var model = "weights/mmssr-small.gguf"

    @Flag(help: "Also run the matrices in fp32 and report how closely int8 follows.")
    var compareFP32 = false

    func run() throws {
        let scorer = try ScoringModel(path: model)
        let reference = compareFP32 ? try ScoringModel(path: model, fp32: true) : nil
        let result = try ExampleEvaluation.run(model: scorer, fp32: reference, pool: pool, images: images,
                                               labels: try ItemLabels.load(path: labels))
        print("model: \(model) (\(scorer.precision), heads: \(scorer.heads.kind))")
        print(result.report())
    }
}
