import Foundation

/// A regular expression of the style rules and surface features, run by ICU (`NSRegularExpression`) on plain
/// text and by Swift's `Regex` on any other text, with the same results.
///
/// Why two engines: with Swift's `Regex` alone the surface features took 4-6 ms per sample of the realistic
/// pools, most of it in these ~45 patterns (case-insensitive alternations behind `\b` are tried at every
/// position, and each search finds `\b`'s Unicode word boundaries by walking the text from its start); with
/// ICU on plain text, 1-1.6 ms. Why plain text only: there the two engines agree (ASCII classes and case
/// folding, `\n` the only line break, UAX #29 word boundaries in both through `useUnicodeWordBoundaries`, once
/// the colon ICU treats differently is left out), which `TextPatternTests` checks on the realistic pools and
/// on generated text. Beyond it they differ (`\r\n` is one Character to Swift, ICU's `\s` has no `\v`,
/// Unicode case folding), and there Swift's `Regex`, which the rules were written and tuned against, decides.
struct TextPattern: @unchecked Sendable {  // both engines' compiled patterns are immutable and safe to share
    private let swift: Regex<AnyRegexOutput>
    private let icu: NSRegularExpression
    /// The pattern anchored at both ends, for `wholeMatches`.
    private let icuWhole: NSRegularExpression

    init(_ pattern: String) {
        swift = try! Regex(pattern)
        icu = try! NSRegularExpression(pattern: pattern, options: .useUnicodeWordBoundaries)
        icuWhole = try! NSRegularExpression(pattern: #"\A(?:"# + pattern + #")\z"#, options: .useUnicodeWordBoundaries)
    }

    /// Runs every search with Swift's `Regex`, for checking that ICU gives the same results (`TextPatternTests`).
    @TaskLocal static var swiftOnly = false

    /// Printable ASCII, `\n` and `\t`, with no colon between two letters: the text on which ICU stands in for
    /// Swift's `Regex`. (Unicode's word boundaries keep "format:step" one word; ICU's split it at the colon.)
    static func isPlain(_ s: String) -> Bool {
        func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }
        var previous: UInt8 = 0, beforePrevious: UInt8 = 0
        for b in s.utf8 {
            guard (b >= 0x20 && b < 0x7F) || b == 0x0A || b == 0x09 else { return false }
            if previous == UInt8(ascii: ":"), isLetter(beforePrevious), isLetter(b) { return false }
            (beforePrevious, previous) = (previous, b)
        }
        return true
    }

    private static func icuRuns(_ s: String) -> Bool { !swiftOnly && isPlain(s) }

    /// Whether the pattern matches somewhere in `s`.
    func occurs(in s: String) -> Bool {
        guard Self.icuRuns(s) else { return s.firstMatch(of: swift) != nil }
        return icu.firstMatch(in: s, range: Self.whole(s)) != nil
    }

    /// Whether the pattern matches all of `s`.
    func wholeMatches(_ s: String) -> Bool {
        guard Self.icuRuns(s) else { return s.wholeMatch(of: swift) != nil }
        return icuWhole.firstMatch(in: s, range: Self.whole(s)) != nil
    }

    /// Non-overlapping matches in `s`, searched left to right.
    func count(in s: String) -> Int {
        guard Self.icuRuns(s) else { return s.matches(of: swift).count }
        return icu.numberOfMatches(in: s, range: Self.whole(s))
    }

    /// The first capture group of every match, in order.
    func firstGroups(in s: String) -> [Substring] {
        guard Self.icuRuns(s) else { return s.matches(of: swift).map { $0.output[1].substring ?? "" } }
        return icu.matches(in: s, range: Self.whole(s)).map { match in
            Range(match.range(at: 1), in: s).map { s[$0] } ?? ""
        }
    }

    /// `s` with every match replaced by `replacement` (taken literally).
    func replacing(in s: String, with replacement: String) -> String {
        guard Self.icuRuns(s) else { return s.replacing(swift, with: replacement) }
        return icu.stringByReplacingMatches(in: s, range: Self.whole(s), withTemplate: NSRegularExpression.escapedTemplate(for: replacement))
    }

    /// Plain text is ASCII, so its UTF-16 length is its UTF-8 length.
    private static func whole(_ s: String) -> NSRange { NSRange(location: 0, length: s.utf8.count) }
}
