import Tensor

/// safetensors header (JSON) and tensor table.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "model.safetensors")
    _ = try? SafetensorsFile(path: path)
    return 0
}
