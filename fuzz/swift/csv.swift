import Scorer

/// The csv score-table reader, every row.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "scores.csv")
    guard let reader = try? ScoreTable.reader(path: path) else { return 0 }
    while let row = try? reader.next() { _ = row }
    return 0
}
