import Glibc

/// Appends to a features file through a descriptor. A killed process loses nothing `write` returned, so
/// `fsync` (which guards only against a machine crash) runs at most every `PeriodicSync.interval` seconds and at `close`.
final class FeatureFileAppender {
    let path: String
    private var fd: Int32
    private var sync = PeriodicSync()

    /// Opens `path` for writing from byte `keep` on (0: a new, empty file).
    init(path: String, keep: Int) throws(FeatureFileError) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        guard ftruncate(fd, off_t(keep)) == 0, lseek(fd, off_t(keep), SEEK_SET) == keep else {
            let reason = String(cString: strerror(errno))
            Glibc.close(fd)
            throw .io(path: path, reason: "cannot cut the file at byte \(keep): \(reason)")
        }
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    func append(_ bytes: [UInt8]) throws(FeatureFileError) {
        let failure = sync.append(bytes, to: fd)
        if failure != 0 { throw .io(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Flushes to disk and closes.
    func close() throws(FeatureFileError) {
        let synced = fsync(fd) == 0
        let reason = String(cString: strerror(errno))
        Glibc.close(fd)
        fd = -1
        guard synced else { throw .io(path: path, reason: "fsync failed: \(reason)") }
    }
}
