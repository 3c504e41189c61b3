import ArgumentParser
import CBLAS
import Foundation
import Tensor

struct MMSSR: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmssr",
        abstract: "Score and select multimodal instruction data on CPU (mmSSR).",
        subcommands: [InspectCommand.self, ScoreCommand.self, EvaluateCommand.self, SelectCommand.self, MergeCommand.self, BenchCommand.self, EmbedCommand.self, FitCommand.self, TokenizeCommand.self, GenerateCommand.self, PerplexityCommand.self, TeachCommand.self]
    )
}

// OpenBLAS reads OPENBLAS_CORETYPE only while loading, so giving it kernels for what the CPU really runs (see
// blas_core.c) means running again with it set. If exec fails we go on with the slower kernels.
#if os(Linux)
if let core = mmssr_blas_better_core() {
    mmssr_blas_choose_core(core)
    execv("/proc/self/exe", CommandLine.unsafeArgv)
}
#endif

// A bad MMSSR_KERNEL is a usage error: report it in one line before any kernel is chosen.
do {
    _ = try QuantizedLinear.Kernel.fromEnvironment()
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(2)
}
MMSSR.main()
