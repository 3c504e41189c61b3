import CBLAS

/// The int8 peak of this machine's fastest int8 GEMM instruction, per core, measured: VNNI's vpdpbusd zmm
/// (64 products per instruction) where the CPU has it, else the AVX2 kernel's exact step, vpmaddwd + vpaddd
/// on ymm (16 products). Benchmarks state their GEMMs as a fraction of it; AMX can exceed the VNNI figure.
struct Int8Peak {
    let ghz: Double
    /// Instructions (VNNI) or step pairs (AVX2) retired per cycle.
    let perCycle: Double
    let instruction: String
    let productsPerInstruction: Double

    var gopsPerCore: Double { perCycle * productsPerInstruction * 2 * ghz }

    /// "vpdpbusd zmm 1.98/cycle x 128 op" or "vpmaddwd+vpaddd ymm 1.60/cycle x 32 op".
    var summary: String { "\(instruction) \(f(perCycle, 2))/cycle x \(Int(2 * productsPerInstruction)) op" }

    static func measure(ghz: Double = mmssr_measure_ghz()) -> Int8Peak {
        let vnni = mmssr_measure_vnni_per_cycle(ghz)
        if vnni > 0 { return Int8Peak(ghz: ghz, perCycle: vnni, instruction: "vpdpbusd zmm", productsPerInstruction: 64) }
        return Int8Peak(ghz: ghz, perCycle: mmssr_measure_avx2_madd_per_cycle(ghz), instruction: "vpmaddwd+vpaddd ymm",
                        productsPerInstruction: 16)
    }
}
