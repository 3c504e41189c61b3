import Glibc

/// Sequential reads of a file in fixed-size chunks through a POSIX descriptor, so memory stays bounded
/// by the chunk no matter how large the file is.
final class ByteSource {
    let path: String
    private let fd: Int32

    init(path: String) throws(PoolError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .unreadable(path: path, reason: "is a directory")
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Appends up to `count` bytes to `buffer`; returns how many were read, 0 at end of file.
    func read(into buffer: inout [UInt8], count: Int) throws(PoolError) -> Int {
        let old = buffer.count
        buffer.reserveCapacity(old + count)
        var got = 0
        var failure: Int32 = 0
        buffer.append(contentsOf: repeatElement(0, count: count))
        buffer.withUnsafeMutableBytes { raw in
            while true {
                let n = Glibc.read(fd, raw.baseAddress! + old, count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failure = errno } else { got = n }
                break
            }
        }
        buffer.removeLast(count - got)
        if failure != 0 { throw .unreadable(path: path, reason: String(cString: strerror(failure))) }
        return got
    }
}
