import Tensor

/// GGUF header, metadata and tensor table (GGUFFile.init validates them all).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "model.gguf")
    _ = try? GGUFFile(path: path)
    return 0
}
