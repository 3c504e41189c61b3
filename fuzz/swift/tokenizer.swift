import Scorer

/// Hugging Face tokenizer.json (WordPiece), then one encode with whatever vocabulary it gave.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "tokenizer.json")
    if let tokenizer = try? WordPieceTokenizer.loadingHuggingFaceJSON(path: path) {
        _ = tokenizer.encode("Hello, wörld! [CLS] 中文 unaffable", maxTokens: 32)
    }
    return 0
}
