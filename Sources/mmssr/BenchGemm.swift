import ArgumentParser

struct BenchGemm: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gemm", abstract: "GEMM throughput: fp32 sgemm vs int8 kernels.")

    func run() throws {
        throw ValidationError("not implemented yet")
    }
}
