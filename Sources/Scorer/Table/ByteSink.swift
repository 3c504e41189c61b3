import Glibc

/// A buffered, append-only output file. Writes go through a fixed buffer so that streaming a table or a
/// subset never holds more than the buffer.
public final class ByteSink {
    public let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int
    /// Bytes written so far, including those still buffered.
    public private(set) var offset = 0

    public init(path: String, capacity: Int = 1 << 20) throws(TableError) {
        self.path = path
        self.capacity = capacity
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw .io(path: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
        self.fd = fd
        buffer.reserveCapacity(capacity)
    }

    deinit { Glibc.close(fd) }

    public func write<C: Collection>(_ bytes: C) throws(TableError) where C.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        offset += bytes.count
        if buffer.count >= capacity { try flush() }
    }

    /// Concrete overloads: the generic one is not specialised across modules and costs a metadata lookup per call.
    public func write(_ bytes: [UInt8]) throws(TableError) {
        buffer.append(contentsOf: bytes)
        offset += bytes.count
        if buffer.count >= capacity { try flush() }
    }

    public func write(_ text: String) throws(TableError) {
        var text = text
        let before = buffer.count
        text.withUTF8 { buffer.append(contentsOf: $0) }
        offset += buffer.count - before
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws(TableError) {
        var done = 0
        var failure: Int32 = 0
        buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 { if errno == EINTR { continue }; failure = errno; return }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
        if failure != 0 { throw .io(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Flushes and makes the file durable enough that a reader started afterwards sees all of it.
    public func close() throws(TableError) {
        try flush()
    }
}
