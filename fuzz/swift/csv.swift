import Scorer

/// The csv score-table reader, every row.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "scores.csv")
    guard let reader = try? ScoreTable.reader(path: path) else { return 0 }
    while let row = try? reader.next() { _ = row }
    // The byte-level column path `select` reads, cut into pieces as on several cores.
    _ = try? CSVTableReader(path: path).columns(pieces: 3, minimumPiece: 1)
    return 0
}
