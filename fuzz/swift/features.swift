import Scorer

/// The features file (`mmssr embed` output): header, then every record, torn tail allowed or not.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "features.bin")
    for torn in [false, true] {
        guard let reader = try? FeatureFileReader(path: path) else { return 0 }
        while let row = try? reader.next(allowTornTail: torn) { _ = row }
    }
    return 0
}
