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

/// CPU time (user and system, all threads) of this process so far, in seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + 1e-6 * Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec)
}

/// Peak resident memory of this process so far, in MB.
func peakRSSMegabytes() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}
