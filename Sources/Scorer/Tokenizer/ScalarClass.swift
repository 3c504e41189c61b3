/// The per-scalar facts the BERT normaliser and pre-tokeniser and the byte-level BPE pre-tokenizer's regex
/// classes branch on, as HF `tokenizers` defines them.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    static let removedByCleanText = ScalarClass(rawValue: 1 << 0)
    /// Rust's `char::is_whitespace` (the White_Space property); the normaliser maps these to U+0020.
    static let whitespace = ScalarClass(rawValue: 1 << 1)
    /// HF's `is_chinese_char` ranges, including its 0x2B920 lower bound (the Unicode block starts at 0x2B820).
    static let chinese = ScalarClass(rawValue: 1 << 2)
    static let nonspacingMark = ScalarClass(rawValue: 1 << 3)
    static let punctuation = ScalarClass(rawValue: 1 << 4)
    /// The regex classes `\p{L}` and `\p{N}` (`\s` is `whitespace`).
    static let letter = ScalarClass(rawValue: 1 << 5)
    static let number = ScalarClass(rawValue: 1 << 6)

    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 0x10000 { return ScalarClass(rawValue: basicPlane[Int(value)]) }
        var result: ScalarClass = []
        if contains(HuggingFaceUnicodeTables.removedByCleanText, value) { result.insert(.removedByCleanText) }
        if contains(chineseRanges, value) { result.insert(.chinese) }
        if contains(HuggingFaceUnicodeTables.nonspacingMarks, value) { result.insert(.nonspacingMark) }
        if contains(HuggingFaceUnicodeTables.punctuation, value) { result.insert(.punctuation) }
        if contains(HuggingFaceUnicodeTables.letters, value) { result.insert(.letter) }
        if contains(HuggingFaceUnicodeTables.numbers, value) { result.insert(.number) }
        return result
    }

    private static let whitespaceRanges: [UInt32] = [
        0x09, 0x0D, 0x20, 0x20, 0x85, 0x85, 0xA0, 0xA0, 0x1680, 0x1680, 0x2000, 0x200A,
        0x2028, 0x2029, 0x202F, 0x202F, 0x205F, 0x205F, 0x3000, 0x3000,
    ]
    private static let chineseRanges: [UInt32] = [
        0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF, 0x20000, 0x2A6DF,
        0x2A700, 0x2B73F, 0x2B740, 0x2B81F, 0x2B920, 0x2CEAF, 0x2F800, 0x2FA1F,
    ]

    /// Nearly every scalar in real text is in the BMP, so it gets an O(1) table; the rest binary-search.
    private static let basicPlane: [UInt8] = {
        var table = [UInt8](repeating: 0, count: 0x10000)
        let sources: [([UInt32], ScalarClass)] = [
            (HuggingFaceUnicodeTables.removedByCleanText, .removedByCleanText),
            (whitespaceRanges, .whitespace),
            (chineseRanges, .chinese),
            (HuggingFaceUnicodeTables.nonspacingMarks, .nonspacingMark),
            (HuggingFaceUnicodeTables.punctuation, .punctuation),
            (HuggingFaceUnicodeTables.letters, .letter),
            (HuggingFaceUnicodeTables.numbers, .number),
        ]
        for (ranges, flag) in sources {
            for pair in stride(from: 0, to: ranges.count, by: 2) where ranges[pair] < 0x10000 {
                for value in ranges[pair]...min(ranges[pair + 1], 0xFFFF) { table[Int(value)] |= flag.rawValue }
            }
        }
        return table
    }()

    private static func contains(_ ranges: [UInt32], _ value: UInt32) -> Bool {
        var low = 0
        var high = ranges.count / 2
        while low < high {
            let mid = (low + high) / 2
            if ranges[2 * mid + 1] < value { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count / 2 && ranges[2 * low] <= value
    }
}
