import ArgumentParser
import Foundation
import Tensor

struct MMSSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmssr",
        abstract: "Score and select multimodal instruction data on CPU (mmSSR).",
        subcommands: [InspectCommand.self, ScoreCommand.self, EvaluateCommand.self, SelectCommand.self, MergeCommand.self, BenchCommand.self, EmbedCommand.self, FitCommand.self]
    )
}

// A bad MMSSR_KERNEL is a usage error: report it in one line before any kernel is chosen.
do {
    _ = try QuantizedLinear.Kernel.fromEnvironment()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(2)
}
MMSSR.main()
