import ArgumentParser
import Foundation
import Scorer

struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Quality of a model's heads on a labelled pool, beside a regex/keyword baseline (default: the bundled example).",
        discussion: "With --realistic DIR: the held-out set's dev and test splits (DIR/{dev,test}/{pool,labels}.json, images in DIR/images) side by side instead of POOL."
    )

    @Argument(help: "A labelled LLaVA pool.")
    var pool = "example/pool.json"

    @Option(help: "Labels file: [{idx, capabilities, styles}].")
    var labels = "example/labels.json"

    @Option(help: "Root folder of the pool's image paths.")
    var images = "example/images"

    @Option(help: "Model file.")
    var model = "weights/mmssr-small.gguf"

    @Option(help: "A held-out set's folder with dev/ and test/ splits (e.g. example/realistic): report them side by side.")
    var realistic: String?

    @Flag(help: "Also run the matrices in fp32 and report how closely int8 follows.")
    var compareFP32 = false

    func run() throws {
        let scorer = try ScoringModel(path: model)
        let reference = compareFP32 ? try ScoringModel(path: model, fp32: true) : nil
        print("model: \(model) (\(scorer.precision), heads: \(scorer.heads.kind))")
        if let realistic {
            print(try SplitComparison.run(model: scorer, fp32: reference, root: realistic).report())
        } else {
            print(try ExampleEvaluation.run(model: scorer, fp32: reference, pool: pool, images: images,
                                            labels: try ItemLabels.load(path: labels)).report())
        }
    }
}
