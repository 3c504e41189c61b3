import Vision

/// JPEG and PNG through ImageDecoder and the C shim (the format from the magic bytes), at a 4-megapixel cap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? ImageDecoder.decode(data: bytes(data, size), name: "fuzz", maxPixels: 4_000_000)
    return 0
}
