import Foundation

/// Cheap surface features of a sample's text: the cues of interaction style (option lists, coordinates,
/// yes/no answers, step markers, format instructions, answer length) that a sentence embedding blurs, and
/// the nine verdicts of SPEC §1b's rules (`StyleRules`, one 0/1 feature per style, named `rule_*`).
/// Every value lies in [0, 1]. The names are part of the model file's feature layout (`heads.features`):
/// renaming or reordering one invalidates every fitted head, so append new ones at the end.
public enum SurfaceFeatures {
    public static let names: [String] = [
        "question_length", "answer_length", "answer_words_1_3", "answer_words_4_30", "answer_words_31_80",
        "answer_words_81_plus", "rounds", "option_list", "answer_is_option", "answer_coordinates",
        "question_coordinates", "answer_yes_no", "question_yes_no", "reasoning_markers", "answer_equations",
        "format_instruction", "comparison_request", "comparison_words", "answer_digits", "math_symbols", "code",
        "question_marks", "describe_request",
        // StyleRules.Verdict.flags, in SPEC order.
        "rule_multi_choice", "rule_coordinate", "rule_yes_no", "rule_short_phrase", "rule_short_description",
        "rule_detailed_description", "rule_comparison", "rule_chain_of_thought", "rule_specified_style",
        // What the question asks about, after SPEC §1b's capability definitions (Patterns.requests, same order).
        "asks_count", "asks_colour", "asks_existence", "asks_text", "examples_in_prompt", "asks_cause", "asks_identity",
    ]

    public static func compute(_ text: SampleText, rounds: Int) -> [Float] {
        let q = text.question, a = text.answer
        let ql = q.lowercased(), al = a.lowercased()
        // Length buckets use words per answer, so several short answers in one conversation stay short.
        let words = a.split(whereSeparator: \.isWhitespace).count / max(rounds, 1)
        func bucket(_ r: ClosedRange<Int>) -> Float { r.contains(words) ? 1 : 0 }
        func flag(_ b: Bool) -> Float { b ? 1 : 0 }
        func matches(_ patterns: [TextPattern], in s: String) -> Int {
            patterns.reduce(0) { $0 + $1.count(in: s) }
        }
        func mentions(_ words: [String], in s: String) -> Int { words.filter { s.contains($0) }.count }
        let firstWord = al.prefix { $0.isLetter }
        let questionFirst = ql.prefix { $0.isLetter }
        let digits = a.unicodeScalars.filter { CharacterSet.decimalDigits.contains($0) }.count
        let cues: [Float] = [
            min(Float(log1p(Double(q.count))) / 8, 1),
            min(Float(log1p(Double(a.count))) / 8, 1),
            bucket(1...3), bucket(4...30), bucket(31...80), flag(words > 80),
            min(Float(log1p(Double(max(rounds, 1) - 1))) / 2, 1),
            flag(matches(Patterns.options, in: q) >= 2 || ql.contains("options:") || ql.contains("choices:")),
            flag(Patterns.answerOption.occurs(in: a)),
            flag(Patterns.coordinates.occurs(in: a)),
            flag(Patterns.coordinates.occurs(in: q)),
            flag(firstWord == "yes" || firstWord == "no"),
            flag(Patterns.yesNoOpeners.contains(String(questionFirst))),
            min(Float(matches(Patterns.reasoning, in: al)) / 4, 1),
            min(Float(a.filter { $0 == "=" }.count) / 3, 1),
            flag(mentions(Patterns.formatInstructions, in: ql) > 0 || Patterns.formatPattern.occurs(in: ql)),
            flag(mentions(Patterns.comparisonRequests, in: ql) > 0),
            min(Float(mentions(Patterns.comparison, in: al)) / 2, 1),
            a.isEmpty ? 0 : min(Float(digits) / Float(a.count) * 4, 1),
            flag(Patterns.math.occurs(in: q) || Patterns.math.occurs(in: a)),
            flag(Patterns.code.contains { q.contains($0) || a.contains($0) }),
            min(Float(q.filter { $0 == "?" }.count) / 3, 1),
            flag(mentions(Patterns.describe, in: ql) > 0),
        ]
        let requests = Patterns.requests.map { flag($0.occurs(in: q)) }
        let values = cues + StyleRules.judge(text.exchanges).flags.map(flag) + requests
        assert(values.count == names.count)
        return values
    }
}

/// The patterns behind `SurfaceFeatures`, compiled once.
private enum Patterns {
    static let options: [TextPattern] = [
        TextPattern(#"(?m)^\s*\(?[A-Ha-h][\.\):]\s"#), TextPattern(#"\([A-Ha-h]\)\s"#),
    ]
    static let answerOption = TextPattern(#"^\s*\(?[A-H](?:[\.\):]|\s*$)"#)
    static let coordinates = TextPattern(#"\[\s*-?\d*\.?\d+\s*(?:,\s*-?\d*\.?\d+\s*){1,3}\]"#)
    static let reasoning: [TextPattern] = [
        TextPattern(#"\bstep\b"#), TextPattern(#"\bfirst\b"#), TextPattern(#"\bthen\b"#), TextPattern(#"\btherefore\b"#),
        TextPattern(#"\bthus\b"#), TextPattern(#"\bso\b"#), TextPattern(#"\bbecause\b"#), TextPattern(#"\bhence\b"#),
        TextPattern(#"(?m)^\s*\d+[\.\)]\s"#), TextPattern(#"\bthe answer is\b"#),
    ]
    static let math = TextPattern(#"[=+×÷√π°^∠△]|\d\s*[-*/]\s*\d"#)
    static let yesNoOpeners: Set<String> = [
        "is", "are", "does", "do", "did", "can", "could", "was", "were", "has", "have", "will", "would", "should", "am",
    ]
    /// Requests that fix the answer's form (beyond "a single word or phrase", which is the short-phrase style).
    static let formatInstructions = [
        "json", "csv", "in the format", "reply exactly", "respond with", "respond in", "reply with", "reply in",
        "bullet", "as a list", "numbered list", "lowercase", "uppercase", "all caps", "exactly", "no more than",
        "caption", "rhyming", "haiku", "limerick", "tweet", "in the style of", "following the format",
        "same format", "same rule", "same pattern", "convert this", "convert the", "extract", "worked example", "->",
    ]
    static let formatPattern = TextPattern(#"\b(?:under|within|in|at most) \d+ (?:words|sentences|characters)|\bwrite an? (?:short )?(?:poem|story|letter|caption|advert|slogan)"#)
    static let comparisonRequests = [
        "compare", "comparison", "difference", "differ", "similarit", "versus", " vs", "contrast", "pros and cons",
    ]
    static let comparison = [
        "whereas", "more than", "less than", "larger than", "smaller than", "better than", "both", "unlike",
        "in contrast", "while the", "compared",
    ]
    static let code = ["```", "def ", "return ", "{", "};", "#include", "import "]
    /// Question cues of the capabilities that a sentence embedding of a short question misses: attribute (count,
    /// colour, existence), ocr (text to read), incontext (examples shown), causal (why, purpose, what next),
    /// finegrained (a specific identity).
    static let requests: [TextPattern] = [
        TextPattern(#"(?i)\bhow many\b|\bcount\b|\bnumber of\b"#),
        TextPattern(#"(?i)\bcolou?rs?\b"#),
        TextPattern(#"(?i)\b(?:is|are) there\b"#),
        TextPattern(#"(?i)\b(?:written|text|read|says?|sign|title|label|brand|logo|word|letters?)\b"#),
        TextPattern(#"(?i)\bexamples?\b|->|=>"#),
        TextPattern(#"(?i)\bwhy\b|\bpurpose\b|\breasons?\b|\bcause[sd]?\b|\bhappen\w*\b|\bnext\b|\bconsequen\w*"#),
        TextPattern(#"(?i)\b(?:breed|species|brand|model|landmark|celebrity|who is|what kind|what type|which type|name of)\b"#),
    ]
    static let describe = ["describe", "detail", "explain", "elaborate", "what is happening", "tell me about"]
}
