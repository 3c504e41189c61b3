import Scorer

/// The pool reader: framer, JSON parser and item decoder over a whole pool file (small chunks, so items
/// straddle chunk boundaries).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "pool.json")
    for options in [PoolReader.Options(chunkSize: 64), .index] {
        guard let reader = try? PoolReader(path: path, options: options) else { continue }
        while let item = try? reader.next() { _ = item }
    }
    return 0
}
