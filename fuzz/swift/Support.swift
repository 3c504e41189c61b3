#if canImport(Glibc)
import Glibc
#endif

/// Per-process scratch folder for parsers that read paths (on /dev/shm when present: no disk traffic).
let fuzzDirectory: String = {
    let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp"
    let dir = "\(base)/mmssr-fuzz-\(getpid())"
    mkdir(dir, 0o700)
    return dir
}()

/// Writes `size` bytes at `data` to `fuzzDirectory/name` and returns its path.
@discardableResult
func writeFuzzFile(_ data: UnsafePointer<UInt8>, _ size: Int, name: String) -> String {
    let path = "\(fuzzDirectory)/\(name)"
    let f = fopen(path, "wb")!
    if size > 0 { fwrite(data, 1, size, f) }
    fclose(f)
    return path
}

/// The input as bytes (for parsers that take memory).
func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
    Array(UnsafeBufferPointer(start: data, count: size))
}
