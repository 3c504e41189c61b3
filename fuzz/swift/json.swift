import Scorer

/// The JSON parser on one document.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = try? JSONParser.parseDocument(bytes(data, size))
    return 0
}
