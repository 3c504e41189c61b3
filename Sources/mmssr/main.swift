import ArgumentParser

struct MMSSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmssr",
        abstract: "Score and select multimodal instruction data on CPU (mmSSR).",
        subcommands: [InspectCommand.self, ScoreCommand.self, EvaluateCommand.self, SelectCommand.self, BenchCommand.self]
    )
}

MMSSR.main()
