#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Immutable after init, so it is shared freely across threads.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(ModelFileError) {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw ModelFileError(path: path, offset: nil, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelFileError(path: path, offset: nil, reason: "cannot stat") }
        let size = Int(st.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw ModelFileError(path: path, offset: nil, reason: "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }
}

/// Bounds-checked little-endian reads over a byte buffer; every failure names the offset.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    func fail(_ reason: String, at position: Int? = nil) -> ModelFileError {
        ModelFileError(path: path, offset: position ?? offset, reason: reason)
    }

    mutating func take(_ n: Int, _ what: String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        guard n >= 0, offset <= bytes.count, n <= bytes.count - offset else {
            throw fail("truncated file: \(what) needs \(n) bytes, \(max(0, bytes.count - offset)) left")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(rebasing: bytes[offset ..< offset + n])
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(ModelFileError) -> T {
        let raw = try take(MemoryLayout<T>.size, what)
        return T(littleEndian: raw.loadUnaligned(as: T.self))
    }

    mutating func readFloat(_ what: String) throws(ModelFileError) -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    mutating func readDouble(_ what: String) throws(ModelFileError) -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }
}
