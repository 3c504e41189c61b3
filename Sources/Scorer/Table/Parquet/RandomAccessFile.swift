import Glibc

/// Positioned reads (pread), for formats whose metadata sits at the end of the file.
final class RandomAccessFile {
    let path: String
    let size: Int
    private let fd: Int32

    init(path: String) throws(TableError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            close(fd)
            throw .io(path: path, reason: "not a regular file")
        }
        self.fd = fd
        size = Int(st.st_size)
    }

    deinit { close(fd) }

    func read(at offset: Int, count: Int) throws(TableError) -> [UInt8] {
        guard offset >= 0, count >= 0, offset + count <= size else {
            throw .malformed(path: path, location: "byte \(offset)", reason: "range of \(count) bytes lies outside the file")
        }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        out.withUnsafeMutableBytes { raw in
            while done < count {
                let n = pread(fd, raw.baseAddress! + done, count - done, off_t(offset + done))
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                if n == 0 { failure = EIO; return }
                done += n
            }
        }
        if failure != 0 { throw .io(path: path, reason: "read failed: \(String(cString: strerror(failure)))") }
        return out
    }
}
