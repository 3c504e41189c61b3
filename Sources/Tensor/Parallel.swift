#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import CBLAS

/// The process-wide thread model.
///
/// All parallelism is ours: `Parallel.forEach` fans work out over `Parallel.threads` workers through
/// `concurrentPerform`, and OpenBLAS is pinned to ONE thread, so each worker calls a single-threaded sgemm
/// on its own block of rows. Two pools on the same cores (OpenBLAS's pthreads plus ours) would
/// oversubscribe them and halve throughput whenever a pipeline stage overlaps a GEMM; with one pool the
/// pipeline decides where cores go (see the scoring pipeline) and kernels never fight.
public enum Parallel {
    nonisolated(unsafe) private static var width = max(1, ProcessInfoThreads.available)

    private static let pinBLAS: Void = mmssr_blas_set_threads(1)

    /// Number of workers used by `forEach`: 1 inside `serially`.
    public static var threads: Int { mmssr_serial_active() != 0 ? 1 : width }

    /// Sets the width of our pool. Call at start-up, before any forward.
    public static func setThreads(_ n: Int) {
        width = max(1, n)
    }

    /// Runs `body(chunk)` for `chunk` in `0..<chunks` across the pool; returns when all are done.
    public static func forEach(_ chunks: Int, _ body: (Int) -> Void) {
        _ = pinBLAS
        if chunks <= 0 { return }
        if chunks == 1 || threads == 1 {
            for c in 0..<chunks { body(c) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: chunks) { box.value($0) }
        }
    }

    /// Runs `body` with every `forEach` on this thread inline: for a worker that takes a whole forward of
    /// its own (one image per worker beats splitting each op across workers when an op's rows for the whole
    /// batch outgrow a core's L2, and the pool does not keep a chunk on the core that holds its rows).
    public static func serially<T>(_ body: () -> T) -> T {
        mmssr_serial_enter()
        defer { mmssr_serial_exit() }
        return body()
    }

    /// Splits `0..<n` into at most `threads` contiguous ranges and runs them in parallel.
    public static func forRanges(_ n: Int, minPerChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        let chunks = max(1, min(threads, n / max(1, minPerChunk)))
        forEach(chunks) { c in
            let lo = n * c / chunks, hi = n * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }
}

/// Carries a value across a `concurrentPerform` boundary.
///
/// Invariant: whoever wraps a value guarantees that concurrent users touch disjoint memory (each chunk
/// writes its own rows) or only read.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}

enum ProcessInfoThreads {
    static var available: Int {
        #if os(Linux)
        return Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        #else
        return 1
        #endif
    }
}
