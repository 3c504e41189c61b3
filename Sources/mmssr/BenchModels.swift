import ArgumentParser
import Scorer

/// The `--model` / `--model-f32` options the bench commands share, and where they lead.
struct BenchModels: ParsableArguments {
    @Option(help: "int8 model (default: weights/mmssr-small.gguf).")
    var model: String?

    @Option(name: .customLong("model-f32"), help: "fp32 model (default: weights/mmssr-small-f32.gguf).")
    var modelF32: String?

    /// The given model of that precision, else the default one `mmssr score` would find.
    func path(fp32: Bool) throws -> String {
        if let given = fp32 ? modelF32 : model { return given }
        do throws(PipelineError) { return try ModelLocator.locate(fp32: fp32) } catch { throw CLIError(error.description) }
    }
}
