/// HF `tokenizers`' BertPreTokenizer: whitespace separates words and is dropped; every punctuation scalar
/// becomes a word of its own.
enum BertPreTokenizer {
    /// Calls `body` with each word's UTF-8 bytes and its length in scalars (WordPiece's unit for
    /// `max_input_chars_per_word`) until `body` returns false. `buffer` is reused to spare allocations.
    static func forEachWord(
        in scalars: [Unicode.Scalar], buffer: inout [UInt8], _ body: (UnsafeBufferPointer<UInt8>, Int) -> Bool
    ) {
        buffer.removeAll(keepingCapacity: true)
        var scalarCount = 0
        func flush() -> Bool {
            guard scalarCount > 0 else { return true }
            defer {
                buffer.removeAll(keepingCapacity: true)
                scalarCount = 0
            }
            return buffer.withUnsafeBufferPointer { body($0, scalarCount) }
        }
        for scalar in scalars {
            let classes = ScalarClass.of(scalar)
            if classes.contains(.whitespace) {
                guard flush() else { return }
            } else if classes.contains(.punctuation) {
                guard flush() else { return }
                buffer.append(contentsOf: UTF8.encode(scalar)!)
                scalarCount = 1
                guard flush() else { return }
            } else {
                buffer.append(contentsOf: UTF8.encode(scalar)!)
                scalarCount += 1
            }
        }
        _ = flush()
    }
}
