import Scorer

/// The official mmSSR output folder: the input up to its first NUL byte is spatial.jsonl, the rest style.jsonl.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let cut = input.firstIndex(of: 0) ?? size
    writeFuzzFile(data, cut, name: "spatial.jsonl")
    writeFuzzFile(data + min(cut + 1, size), size - min(cut + 1, size), name: "style.jsonl")
    guard let reader = try? MMSSRFolderReader(directory: fuzzDirectory) else { return 0 }
    while let row = try? reader.next() { _ = row }
    return 0
}
