import Scorer

/// The teacher-label reader (`mmssr fit --labels`): the first byte picks CSV or JSONL, the rest is the file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let path = writeFuzzFile(data + 1, size - 1, name: data[0] & 1 == 0 ? "labels.csv" : "labels.jsonl")
    _ = try? LabelReader.read(path: path)
    return 0
}
