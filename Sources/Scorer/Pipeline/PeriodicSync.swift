import Glibc

/// Appends to a file descriptor and `fsync`s at most every `interval` seconds. A SIGKILL loses nothing that
/// `write` returned; fsync only guards against a machine crash, so syncing per batch would cost for little.
/// Shared by the score checkpoint and the features file.
struct PeriodicSync {
    let interval = 2.0
    private var lastSync = -Double.infinity

    /// Writes all of `bytes` (retrying short writes and EINTR); returns 0 or the failing errno.
    mutating func append(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        var failure: Int32 = 0
        bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                done += n
            }
        }
        let now = ScorePipeline.now()
        if failure == 0 && now - lastSync >= interval {
            if fsync(fd) != 0 { failure = errno }
            lastSync = now
        }
        return failure
    }
}
