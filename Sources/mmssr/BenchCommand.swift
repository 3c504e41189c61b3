import ArgumentParser

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure throughput on this machine.",
        subcommands: [BenchAll.self, BenchGemm.self, BenchVision.self, BenchE2E.self, BenchSelect.self, BenchLM.self, BenchTeach.self],
        defaultSubcommand: BenchAll.self
    )
}
