import Dispatch
import Glibc
import Synchronization
import Tensor

/// A text table mapped into memory, read line by line or cut at line starts into pieces parsed on all cores.
///
/// Parsed pages are handed back to the kernel as the readers go (`release`), so reading a file of gigabytes
/// does not add its size to the process's resident memory.
final class MappedText: @unchecked Sendable {
    let path: String
    private let file: MappedFile
    let base: UnsafePointer<UInt8>
    let count: Int

    /// Readers give parsed pages back this often (bytes).
    static let releaseEvery = 32 << 20

    /// One byte, so an empty file still has a valid base pointer to scan from.
    nonisolated(unsafe) private static let empty: UnsafeMutablePointer<UInt8> = .allocate(capacity: 1)

    init(path: String) throws(TableError) {
        self.path = path
        var st = stat()
        if stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR { throw .io(path: path, reason: "is a directory") }
        do { file = try MappedFile(path: path) } catch { throw .io(path: path, reason: error.reason) }
        count = file.bytes.count
        base = file.bytes.baseAddress.map { $0.assumingMemoryBound(to: UInt8.self) } ?? UnsafePointer(Self.empty)
        if count > 0 { madvise(UnsafeMutableRawPointer(mutating: base), count, MADV_SEQUENTIAL) }
    }

    /// The offset of the next `byte` at or after `from`, or `end`.
    @inline(__always)
    func find(_ byte: UInt8, from: Int, end: Int) -> Int {
        guard from < end, let hit = memchr(base + from, Int32(byte), end - from) else { return end }
        return UnsafePointer<UInt8>(hit.assumingMemoryBound(to: UInt8.self)) - base
    }

    /// The line starting at `from` (< count): its end without "\n" or "\r\n", and where the next line starts.
    @inline(__always)
    func line(at from: Int) -> (end: Int, next: Int) {
        let nl = find(0x0A, from: from, end: count)
        let end = nl > from && base[nl - 1] == 0x0D ? nl - 1 : nl
        return (end, min(nl + 1, count))
    }

    /// 1-based number of the line holding offset `at` (for error messages only: it counts from the start).
    func lineNumber(at: Int) -> Int {
        var n = 1
        var p = 0
        while true {
            let nl = find(0x0A, from: p, end: at)
            if nl >= at { return n }
            n += 1
            p = nl + 1
        }
    }

    /// Drops the pages wholly inside [from, to) from this process's memory; they are read again if touched.
    func release(_ from: Int, _ to: Int) {
        let page = 4096
        let lo = (from + page - 1) / page * page
        let hi = to / page * page
        guard hi > lo else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + lo), hi - lo, MADV_DONTNEED)
    }

    /// Line starts cutting [from, count) into one piece per core (`pieces` for tests), none under `minimumPiece`.
    func cuts(from: Int, pieces: Int?, minimumPiece: Int) -> [Int] {
        let parts = max(1, min(pieces ?? onlineCores, (count - from) / max(1, minimumPiece)))
        var cuts = [from]
        for k in 1..<parts {
            let guess = from + (count - from) * k / parts
            let start = min(find(0x0A, from: guess, end: count) + 1, count)
            if start > cuts.last! && start < count { cuts.append(start) }
        }
        cuts.append(count)
        return cuts
    }

    /// Parses the pieces between `cuts` on all cores. `parse(from, to)` must start at a record start `from`,
    /// stop at the first record start at or after `to`, and return that offset; a piece is only valid when its
    /// predecessor stopped exactly where it began (no record spans the cut). Returns nil when that fails or any
    /// piece throws, so the caller re-reads serially and reports the first problem in file order.
    func parallel<R: Sendable>(_ cuts: [Int], _ parse: @Sendable (Int, Int) throws(TableError) -> (R, stop: Int)) -> [R]? {
        let pieces = cuts.count - 1
        let results = Mutex<[Int: (R, Int)]>([:])
        DispatchQueue.concurrentPerform(iterations: pieces) { k in
            guard let r = try? parse(cuts[k], cuts[k + 1]) else { return }
            results.withLock { $0[k] = r }
        }
        return results.withLock { all -> [R]? in
            var out: [R] = []
            for k in 0..<pieces {
                guard let (r, stop) = all.removeValue(forKey: k), stop == cuts[k + 1] else { return nil }
                out.append(r)
            }
            return out
        }
    }
}

private let onlineCores = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
