import CBLAS
import Foundation
import XCTest

/// The OPENBLAS_CORETYPE mmssr asks for when OpenBLAS's kernels are older than the CPU (blas_core.c).
final class BlasCoreTests: XCTestCase {
    private func above(_ core: String) -> String? {
        mmssr_blas_core_above(core).map { String(cString: $0) }
    }

    func testUpgradesOnlyCoresBelowTheCPUsInstructionSet() throws {
        #if arch(x86_64)
        guard FileManager.default.fileExists(atPath: "/proc/cpuinfo") else { throw XCTSkip("no /proc/cpuinfo to read the CPU flags from") }
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(cpuHas)
        let avx2 = cpuHas("avx2") && cpuHas("fma")
        if avx512 {
            for weaker in ["Prescott", "Haswell", "Zen", "Nehalem", "Sandybridge"] { XCTAssertEqual(above(weaker), "SkylakeX", weaker) }
            for fit in ["SkylakeX", "Cooperlake", "SAPPHIRERAPIDS", "SomeFutureCore"] { XCTAssertNil(above(fit), fit) }
        } else if avx2 {
            XCTAssertEqual(above("Prescott"), "Haswell")
            for fit in ["Haswell", "Zen", "SomeFutureCore"] { XCTAssertNil(above(fit), fit) }
        } else {
            XCTAssertNil(above("Prescott"))
        }
        #else
        XCTAssertNil(above("Prescott"))
        #endif
    }
}

#if arch(x86_64)
/// The CPU flag `name` as /proc/cpuinfo spells it (an independent view of what __builtin_cpu_supports reads).
private func cpuHas(_ name: String) -> Bool {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
    else { return false }
    return flags.split(separator: " ").contains { $0 == name }
}
#endif
