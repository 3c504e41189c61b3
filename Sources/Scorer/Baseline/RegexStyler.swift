import Foundation

/// The plain regex baseline for the 9 interaction styles (SPEC §1, in SPEC order). `mmssr eval` prints its
/// style macro-F1 next to the model's, so a trained head has something honest to beat.
///
/// Rules, applied to the human text (`question`) and the assistant text (`answer`) of one sample:
/// - multi-choice: at least two option markers in the question (`A.`, `(b)`, `C:` at a line start, or `(a)`
///   inline), an `Options:` / `Choices:` list, or an answer that is a bare option letter;
/// - coordinate: a box of four numbers `[x1, y1, x2, y2]` in the question or the answer;
/// - yes/no: the answer's first word is "yes" or "no";
/// - comparison: compare / comparison / differ / difference / versus / vs in the question;
/// - chain-of-thought: "step by step", "step 1" or "let's think" in the question or the answer;
/// - specified style: an explicit output-format request in the question (JSON, CSV, format, bullet, ...);
/// - otherwise (nothing above fired) a length bucket on the answer's word count:
///   ≤ `shortPhraseMaxWords` word/short-phrase, ≤ `shortDescriptionMaxWords` short description, else detailed.
///
/// It is deliberately naive: written answers that reason without saying "step", options written as
/// "2, 3, 4, 5" without a keyword, or a yes/no answer that starts with "The ..." are all missed.
public enum RegexStyler {
    public static let styleCount = 9
    public static let multiChoice = 0
    public static let coordinate = 1
    public static let yesNo = 2
    public static let shortPhrase = 3
    public static let shortDescription = 4
    public static let detailedDescription = 5
    public static let comparison = 6
    public static let chainOfThought = 7
    public static let specified = 8

    public static let shortPhraseMaxWords = 10
    public static let shortDescriptionMaxWords = 60

    // Regex values are immutable after creation; they are only read.
    nonisolated(unsafe) private static let lineOption = try! Regex(#"(?m)^[ \t]*\(?[A-Ha-h][.):][ \t]"#)
    nonisolated(unsafe) private static let inlineOption = try! Regex(#"\([A-Ha-h]\)\s"#)
    nonisolated(unsafe) private static let optionList = try! Regex(#"(?i)\b(options|choices)\s*:"#)
    nonisolated(unsafe) private static let bareLetter = try! Regex(#"^\s*\(?[A-H]\)?[.)]?\s*$"#)
    nonisolated(unsafe) private static let box =
        try! Regex(#"\[\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*,\s*-?\d*\.?\d+\s*\]"#)
    nonisolated(unsafe) private static let compare = try! Regex(#"(?i)\b(compare|comparison|differ|differences?|versus|vs)\b"#)
    nonisolated(unsafe) private static let cot = try! Regex(#"(?i)(step[- ]by[- ]step|\bstep\s*1\b|let'?s think)"#)
    nonisolated(unsafe) private static let format =
        try! Regex(#"(?i)\b(json|csv|format|bullet|respond only|reply only|reply exactly|lowercase|in exactly|under \d+ words)\b"#)

    /// Predicted styles as indices into the 9 styles in SPEC order.
    public static func styles(question: String, answer: String) -> Set<Int> {
        let q = question.replacingOccurrences(of: "<image>", with: "")
        var out = Set<Int>()
        if q.matches(of: lineOption).count >= 2 || q.matches(of: inlineOption).count >= 2
            || q.contains(optionList) || answer.wholeMatch(of: bareLetter) != nil {
            out.insert(multiChoice)
        }
        if q.contains(box) || answer.contains(box) { out.insert(coordinate) }
        if let first = firstWord(answer), first == "yes" || first == "no" { out.insert(yesNo) }
        if q.contains(compare) { out.insert(comparison) }
        if q.contains(cot) || answer.contains(cot) { out.insert(chainOfThought) }
        if q.contains(format) { out.insert(specified) }
        if out.isEmpty {
            let n = wordCount(answer)
            out.insert(n <= shortPhraseMaxWords ? shortPhrase : n <= shortDescriptionMaxWords ? shortDescription : detailedDescription)
        }
        return out
    }

    static func firstWord(_ s: String) -> String? {
        var word = ""
        for ch in s {
            if ch.isLetter { word.append(ch) } else if !word.isEmpty { break }
        }
        return word.isEmpty ? nil : word.lowercased()
    }

    static func wordCount(_ s: String) -> Int {
        s.split(whereSeparator: { $0.isWhitespace }).count
    }
}
