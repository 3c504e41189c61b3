#if canImport(Glibc)
import Glibc
#endif
import Foundation

// Table cells of the bench reports.

/// `v` with `digits` decimals.
func f(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

/// `s` padded with spaces to `width`, on the left when `right` (right-aligned).
func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - s.count))
    return right ? fill + s : s + fill
}

/// Peak resident memory of this process so far, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
