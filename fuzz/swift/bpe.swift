import Scorer

/// Hugging Face tokenizer.json (byte-level BPE, the Qwen2 pipeline), then an encode and decode with whatever
/// vocabulary, merges and added tokens it gave.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeFuzzFile(data, size, name: "tokenizer.json")
    if let tokenizer = try? BPETokenizer.loadingHuggingFaceJSON(path: path) {
        _ = tokenizer.decode(tokenizer.encode("Hello, wörld!<|im_end|> 中文 1234 it's\n\n  x"))
    }
    return 0
}
