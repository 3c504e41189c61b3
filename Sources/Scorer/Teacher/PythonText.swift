/// The Python string operations the official code applies, where Swift's differ.
enum PythonText {
    /// `str.strip()`: code points that `str.isspace` calls whitespace, from both ends (Unicode White_Space
    /// plus the separators U+001C-U+001F, which Python counts and Unicode does not).
    static func strip(_ text: String) -> String {
        strip(text) { $0.properties.isWhitespace || (0x1C...0x1F).contains($0.value) }
    }

    /// `str.strip(chars)`: code points of `characters` from both ends.
    static func strip(_ text: String, characters: String) -> String {
        let set = Set(characters.unicodeScalars)
        return strip(text) { set.contains($0) }
    }

    private static func strip(_ text: String, where isStripped: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi && isStripped(scalars[lo]) { lo += 1 }
        while hi > lo && isStripped(scalars[hi - 1]) { hi -= 1 }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars[lo..<hi])
        return String(out)
    }
}
