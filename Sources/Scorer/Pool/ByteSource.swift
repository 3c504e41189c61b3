import Glibc

/// Sequential reads of a file through a POSIX descriptor, in whatever chunks the caller asks for, so
/// memory stays bounded by the caller's buffer no matter how large the file is.
///
/// The one place that opens, reads and closes a pool (or table, feature, checkpoint) file: its errors
/// (`unreadable`, "is a directory", the errno text) are what every reader reports.
package final class ByteSource {
    package let path: String
    private let fd: Int32

    package init(path: String) throws(PoolError) {
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

    /// Reads up to `count` bytes into `destination`; returns how many were read, 0 at end of file.
    /// Not an overload of `read(into:count:)`: `&array` converts to a pointer, so a caller appending to
    /// an array could silently get this one and write past the array's end.
    package func read(to destination: UnsafeMutablePointer<UInt8>, count: Int) throws(PoolError) -> Int {
        while true {
            let n = Glibc.read(fd, destination, count)
            if n >= 0 { return n }
            // A signal before any byte arrived is not a failure; the read is simply retried.
            if errno != EINTR { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        }
    }

    /// Appends up to `count` bytes to `buffer`; returns how many were read, 0 at end of file.
    package func read(into buffer: inout [UInt8], count: Int) throws(PoolError) -> Int {
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: count))
        let got: Int
        do {
            got = try buffer.withUnsafeMutableBufferPointer { (raw) throws(PoolError) -> Int in
                try read(to: raw.baseAddress! + old, count: count)
            }
        } catch {
            buffer.removeLast(count)
            throw error
        }
        buffer.removeLast(count - got)
        return got
    }
}
