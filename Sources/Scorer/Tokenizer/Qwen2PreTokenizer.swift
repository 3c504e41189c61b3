/// Qwen2's pre-tokenizer split, the regex
/// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
/// run as HF `tokenizers` runs it (Oniguruma, leftmost match, alternatives tried in order, `Isolated` pieces),
/// written out as a scanner over UTF-8 so the hot loop neither allocates nor backtracks. Every scalar matches
/// some alternative, so the pieces tile the text.
struct Qwen2PreTokenizer {
    /// Calls `body` with the byte range of each piece of `text`, in order.
    static func forEachPiece(in text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        let scanner = Qwen2PreTokenizer(text: text, asciiClasses: asciiClasses)
        var start = 0
        while start < text.count {
            let end = scanner.pieceEnd(from: start)
            body(start..<end)
            start = end
        }
    }

    private let text: UnsafeBufferPointer<UInt8>
    /// The static table, read once per text: a static in the hot loop costs a `swift_once` check per scalar.
    private let asciiClasses: [ScalarClass]

    private var carriageReturn: UInt8 { 0x0D }
    private var lineFeed: UInt8 { 0x0A }
    private var space: UInt8 { 0x20 }
    private var apostrophe: UInt8 { 0x27 }

    /// Where the regex's match starting at `start` ends.
    private func pieceEnd(from start: Int) -> Int {
        let count = text.count
        let first = text[start]
        if first == apostrophe, let end = contractionEnd(from: start) { return end }

        let (firstClass, firstLength) = scalarClass(at: start)
        let afterFirst = start + firstLength
        // [^\r\n\p{L}\p{N}]?\p{L}+
        if firstClass.contains(.letter) { return lettersEnd(from: afterFirst) }
        if !firstClass.contains(.number), first != carriageReturn, first != lineFeed, afterFirst < count,
            scalarClass(at: afterFirst).class.contains(.letter)
        {
            return lettersEnd(from: afterFirst)
        }
        // \p{N}
        if firstClass.contains(.number) { return afterFirst }
        //  ?[^\s\p{L}\p{N}]+[\r\n]*
        if !firstClass.contains(.whitespace) { return lineBreaksEnd(from: symbolsEnd(from: afterFirst)) }
        if first == space, afterFirst < count, isSymbol(scalarClass(at: afterFirst).class) {
            return lineBreaksEnd(from: symbolsEnd(from: afterFirst))
        }
        // The first scalar is whitespace: scan its run once for the three whitespace alternatives.
        var runEnd = start
        var lastScalarStart = start
        var afterLastLineBreak: Int?
        while runEnd < count {
            let (cls, length) = scalarClass(at: runEnd)
            guard cls.contains(.whitespace) else { break }
            if text[runEnd] == carriageReturn || text[runEnd] == lineFeed { afterLastLineBreak = runEnd + 1 }
            lastScalarStart = runEnd
            runEnd += length
        }
        // \s*[\r\n]+ backtracks to just after the run's last line break.
        if let afterLastLineBreak { return afterLastLineBreak }
        // \s+(?!\S) keeps the whole run at the end of the text, otherwise all but its last scalar (if that
        // leaves any); \s+ takes what is left.
        if runEnd == count || lastScalarStart == start { return runEnd }
        return lastScalarStart
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)`. Oniguruma's case folding also maps U+017F (long s) to `s`.
    private func contractionEnd(from start: Int) -> Int? {
        let count = text.count
        guard start + 1 < count else { return nil }
        let next = text[start + 1] | 0x20
        switch next {
        case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
            return start + 2
        case UInt8(ascii: "r"), UInt8(ascii: "v"):
            return start + 2 < count && text[start + 2] | 0x20 == UInt8(ascii: "e") ? start + 3 : nil
        case UInt8(ascii: "l"):
            return start + 2 < count && text[start + 2] | 0x20 == UInt8(ascii: "l") ? start + 3 : nil
        default:
            // U+017F is C5 BF in UTF-8.
            return start + 2 < count && text[start + 1] == 0xC5 && text[start + 2] == 0xBF ? start + 3 : nil
        }
    }

    private func isSymbol(_ cls: ScalarClass) -> Bool {
        cls.isDisjoint(with: [.whitespace, .letter, .number])
    }

    private func lettersEnd(from start: Int) -> Int {
        var end = start
        while end < text.count {
            let (cls, length) = scalarClass(at: end)
            guard cls.contains(.letter) else { break }
            end += length
        }
        return end
    }

    private func symbolsEnd(from start: Int) -> Int {
        var end = start
        while end < text.count {
            let (cls, length) = scalarClass(at: end)
            guard isSymbol(cls) else { break }
            end += length
        }
        return end
    }

    private func lineBreaksEnd(from start: Int) -> Int {
        var end = start
        while end < text.count, text[end] == carriageReturn || text[end] == lineFeed { end += 1 }
        return end
    }

    /// The class and UTF-8 length of the scalar at `offset` (the text is valid UTF-8: it came from a String).
    @inline(__always)
    private func scalarClass(at offset: Int) -> (class: ScalarClass, length: Int) {
        let lead = text[offset]
        if lead < 0x80 { return (asciiClasses[Int(lead)], 1) }
        var value: UInt32
        let length: Int
        if lead < 0xE0 {
            value = UInt32(lead & 0x1F)
            length = 2
        } else if lead < 0xF0 {
            value = UInt32(lead & 0x0F)
            length = 3
        } else {
            value = UInt32(lead & 0x07)
            length = 4
        }
        for index in offset + 1..<offset + length { value = value << 6 | UInt32(text[index] & 0x3F) }
        return (ScalarClass.of(Unicode.Scalar(value)!), length)
    }

    private static let asciiClasses: [ScalarClass] = (0..<128).map { ScalarClass.of(Unicode.Scalar(UInt8($0))) }
}
