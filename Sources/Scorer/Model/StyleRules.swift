import Foundation

/// SPEC §1b's labelling rules for the nine styles, read off the form of a sample's exchanges: options listed in
/// the prompt, a box or point, a binary question answered yes/no, a phrase or a sentence answer and its length,
/// a request to compare, explicit reasoning before a final answer, a prescribed format. The style heads read
/// these verdicts as surface features (`SurfaceFeatures`), so `mmssr score` applies the rules; a fitted head may
/// weigh them against the embeddings.
public enum StyleRules {
    /// Which styles the rules give a sample, in SPEC order.
    public struct Verdict: Sendable, Equatable {
        public var multiChoice = false, coordinate = false, yesNo = false, shortPhrase = false
        public var shortDescription = false, detailedDescription = false, comparison = false
        public var chainOfThought = false, specified = false

        public init() {}

        /// The nine verdicts in SPEC order.
        public var flags: [Bool] {
            [multiChoice, coordinate, yesNo, shortPhrase, shortDescription, detailedDescription, comparison,
             chainOfThought, specified]
        }
    }

    /// §1b: detailed when the answer has at least 500 characters, or at least 4 sentences and 300 characters.
    public static let detailedCharacters = 500
    public static let detailedSentences = 4
    public static let detailedSentenceCharacters = 300
    /// Longer answers are never a short phrase.
    public static let phraseMaxWords = 40
    /// An answer without a final stop and at most this many words is a phrase even with a verb ("we will go").
    public static let phraseMaxUnpunctuatedWords = 6
    /// A full-stopped answer of this many words is written as a sentence even without a verb this file knows.
    public static let sentenceMinWords = 8

    public static func judge(_ exchanges: [SampleText.Exchange]) -> Verdict {
        var v = Verdict()
        for e in exchanges {
            let q = e.question, a = e.answer.trimmingCharacters(in: .whitespacesAndNewlines)
            let options = listsOptions(q)
            if options { v.multiChoice = true }
            let coordinates = hasCoordinates(q) || hasCoordinates(a)
            if coordinates { v.coordinate = true }
            if asksComparison(q) { v.comparison = true }
            if prescribesFormat(q) { v.specified = true }
            if reasonsStepByStep(question: q, answer: a) { v.chainOfThought = true }
            switch answerForm(question: q, answer: a, options: options) {
            case .none: break
            case .yesNo: v.yesNo = true
            case .phrase: v.shortPhrase = true
            case let .sentences(yesNoOpener, detailed):
                if yesNoOpener { v.yesNo = true }
                if detailed { v.detailedDescription = true } else { v.shortDescription = true }
            }
            if !v.yesNo, options, binaryOptions(q) { v.yesNo = true }
        }
        return v
    }

    /// What an answer is, as far as the phrase and description styles go.
    enum AnswerForm: Equatable {
        /// Empty, a bare option letter (multi-choice only), or only coordinates and the phrase the question asked about.
        case none
        /// A bare yes/no (or true/false) to a binary question.
        case yesNo
        case phrase
        case sentences(yesNoOpener: Bool, detailed: Bool)
    }

    static func answerForm(question q: String, answer a: String, options: Bool) -> AnswerForm {
        guard !a.isEmpty else { return .none }
        if options, Patterns.bareLetter.wholeMatches(a) { return .none }
        if options, Patterns.letteredOption.occurs(in: a) { return .none }
        let opener = binaryQuestion(q) ? yesNoOpener(a) : nil
        if let opener, words(String(a.dropFirst(opener))).isEmpty { return .yesNo }
        let rest = withoutCoordinates(a)
        let restWords = words(rest)
        if restWords.isEmpty { return opener == nil ? .none : .yesNo }
        if rest.count < a.count, q.lowercased().contains(rest.lowercased().trimmingCharacters(in: .punctuationCharacters)) {
            return .none
        }
        let sentences = sentenceCount(a)
        if sentences <= 1, isPhrase(rest, words: restWords) { return opener == nil ? .phrase : .yesNo }
        let detailed = a.count >= detailedCharacters || (sentences >= detailedSentences && a.count >= detailedSentenceCharacters)
        return .sentences(yesNoOpener: opener != nil, detailed: detailed)
    }

    /// A word, a number or a short phrase rather than a sentence: a comma-separated list of short fragments, an
    /// unpunctuated short answer (OCR strings, labels), or a verb-less fragment shorter than a written sentence.
    static func isPhrase(_ text: String, words: [String]) -> Bool {
        guard words.count <= phraseMaxWords else { return false }
        let fragments = text.split(whereSeparator: { ",;".contains($0) }).filter { $0.contains(where: \.isLetter) }
        if fragments.count >= 3, words.count <= 4 * fragments.count { return true }
        let verbless = !words.contains(where: { Patterns.finiteVerbs.contains($0) })
        let punctuated = text.last.map { ".!?".contains($0) } ?? false
        if !punctuated { return verbless || words.count <= phraseMaxUnpunctuatedWords }
        return verbless && words.count < sentenceMinWords
    }

    /// The prompt lists options: lettered lines or inline `(A) ... (B)` including A and B, or an `Options:` /
    /// `Choices:` / "one of:" list.
    static func listsOptions(_ q: String) -> Bool {
        func letters(_ p: TextPattern) -> Set<Character> {
            Set(p.firstGroups(in: q).compactMap { $0.uppercased().first })
        }
        let line = letters(Patterns.lineOption), inline = letters(Patterns.inlineOption)
        return line.isSuperset(of: ["A", "B"]) || inline.isSuperset(of: ["A", "B"]) || Patterns.optionKeyword.occurs(in: q)
    }

    /// Lettered options that are exactly yes and no (§1b: such multiple-choice items are yes/no too).
    static func binaryOptions(_ q: String) -> Bool {
        let texts = Set((Patterns.lineOptionText.firstGroups(in: q) + Patterns.inlineOptionText.firstGroups(in: q))
            .map { $0.lowercased().trimmingCharacters(in: .whitespaces.union(.punctuationCharacters)) })
        return texts == ["yes", "no"]
    }

    static func hasCoordinates(_ s: String) -> Bool {
        let plain = withoutCode(s)
        return Patterns.box.occurs(in: plain) || Patterns.pointPair.occurs(in: plain) || Patterns.decimalPoint.occurs(in: plain)
    }

    /// A question that can be answered yes or no: a clause that opens with an auxiliary verb, or an explicit
    /// "yes or no" / "true or false".
    static func binaryQuestion(_ q: String) -> Bool {
        let l = q.lowercased()
        if l.contains("yes or no") || l.contains("true or false") { return true }
        return l.split(whereSeparator: { ".?!\n:".contains($0) }).contains { clause in
            let first = clause.drop { !$0.isLetter }.prefix { $0.isLetter || $0 == "'" }
            return Patterns.auxiliaries.contains(String(first))
        }
    }

    /// The length of the answer's opening yes/no/true/false word, or nil.
    static func yesNoOpener(_ a: String) -> Int? {
        let word = a.prefix { $0.isLetter }
        return ["yes", "no", "true", "false"].contains(word.lowercased()) ? word.count : nil
    }

    static func asksComparison(_ q: String) -> Bool {
        Patterns.comparison.occurs(in: q) || Patterns.whichSuperlative.occurs(in: q)
    }

    static func prescribesFormat(_ q: String) -> Bool {
        Patterns.format.occurs(in: q) || Patterns.genre.occurs(in: q) || Patterns.length.occurs(in: q)
    }

    /// The answer reasons through explicit steps before its final answer: step markers, a lecture/solution
    /// layout, two or more worked equations before the last sentence, two sentences opened by first / next / then
    /// ..., or reasoning closed by a stated answer; or the question asks for step-by-step reasoning and gets more than a phrase. An answer that comes first and
    /// is then explained is not chain-of-thought.
    static func reasonsStepByStep(question q: String, answer a: String) -> Bool {
        guard !a.isEmpty else { return false }
        if Patterns.stepMarkers.occurs(in: a) { return true }
        let sentences = sentenceSplit(a)
        guard sentences.count >= 2 else { return false }
        if Patterns.stepRequest.occurs(in: q) { return true }
        let opening = sentences.dropLast().joined(separator: " ")
        let equations = Patterns.equation.count(in: opening)
        if equations >= 2 { return true }
        if sentences.filter({ Patterns.sequencer.occurs(in: $0) }).count >= 2 { return true }
        let closing = sentences.last!
        if Patterns.finalAnswer.occurs(in: closing) { return true }
        if Patterns.equation.count(in: a) >= 3 { return true }
        if Patterns.equation.occurs(in: closing) { return true }
        return equations >= 1 && Patterns.conclusion.occurs(in: closing)
    }

    // MARK: - text helpers

    static func words(_ s: String) -> [String] {
        s.lowercased().split(whereSeparator: { $0.isWhitespace }).map { $0.trimmingCharacters(in: .punctuationCharacters) }.filter { !$0.isEmpty }
    }

    /// The answer with boxes, points and grounding tags removed (the tagged phrase kept).
    static func withoutCoordinates(_ s: String) -> String {
        var t = [Patterns.box, Patterns.pointPair, Patterns.decimalPoint].reduce(s) { $1.replacing(in: $0, with: " ") }
        for tag in ["<ref>", "</ref>", "<box>", "</box>", "<boxes>", "<point>", "</point>"] { t = t.replacing(tag, with: " ") }
        return t.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func withoutCode(_ s: String) -> String {
        Patterns.codeSpan.replacing(in: Patterns.codeBlock.replacing(in: s, with: " "), with: " ")
    }

    /// Sentences: text ended by `.`, `!` or `?` before a space, a newline or the end, where the word before the
    /// mark is not a list number, an initial or a common abbreviation; a trailing part without a mark counts too.
    static func sentenceSplit(_ s: String) -> [String] {
        var out = [String](), current = ""
        let chars = Array(s)
        for (i, c) in chars.enumerated() {
            current.append(c)
            guard ".!?".contains(c) else { continue }
            let next = i + 1 < chars.count ? chars[i + 1] : " "
            guard next.isWhitespace else { continue }
            let line = current.dropLast().split(separator: "\n", omittingEmptySubsequences: false).last ?? ""
            let tokens = line.split(whereSeparator: { $0.isWhitespace })
            let before = tokens.last.map(String.init) ?? ""
            if c == ".", isNotSentenceEnd(before, listMarkerPosition: tokens.count == 1, followedBy: chars[(i + 1)...].first { !$0.isWhitespace }) { continue }
            let sentence = current.trimmingCharacters(in: .whitespacesAndNewlines)
            if sentence.contains(where: \.isLetter) || sentence.contains(where: \.isNumber) { out.append(sentence) }
            current = ""
        }
        let tail = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if tail.contains(where: \.isLetter) || tail.contains(where: \.isNumber) { out.append(tail) }
        return out
    }

    static func sentenceCount(_ s: String) -> Int { sentenceSplit(s).count }

    /// A full stop after `word` that does not end a sentence: a list marker opening its line ("1.", "b."), an
    /// abbreviation ("Dr.", "e.g."), or an initial before a capitalised word ("R. L. Hendricks").
    private static func isNotSentenceEnd(_ word: String, listMarkerPosition: Bool, followedBy next: Character?) -> Bool {
        if listMarkerPosition, word.count <= 2, word.allSatisfy({ $0.isNumber || $0.isLetter }) { return true }
        if Patterns.abbreviations.contains(word.lowercased()) { return true }
        return word.count == 1 && word.first!.isUppercase && (next?.isUppercase ?? false)
    }
}

/// The patterns behind `StyleRules`, compiled once.
private enum Patterns {
    static let lineOption = TextPattern(#"(?m)^[ \t]*\(?([A-H])[\.\):]"#)
    static let inlineOption = TextPattern(#"\(([A-Ha-h])\)\s*\S"#)
    static let lineOptionText = TextPattern(#"(?m)^[ \t]*\(?[A-H][\.\):][ \t]*([^\n]*)$"#)
    static let inlineOptionText = TextPattern(#"\([A-Ha-h]\)[ \t]*([^(\n]*)"#)
    static let optionKeyword = TextPattern(#"(?i)\b(?:options|choices|candidates)\b(?:\s+(?:include|are))?\s*:|\bone of\s*:|\bchoose (?:one )?from\b"#)
    static let bareLetter = TextPattern(#"\(?[A-Ha-h]\)?[\.\):]?"#)
    static let letteredOption = TextPattern(#"^\(?[A-H][\.\):]\s+\S|^\([A-Ha-h]\)\s*\S"#)
    static let box = TextPattern(#"\[\s*-?\d+(?:\.\d+)?\s*(?:,\s*-?\d+(?:\.\d+)?\s*){3}\]"#)
    static let pointPair = TextPattern(#"\(\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\)\s*,\s*\(\s*\d+(?:\.\d+)?\s*,\s*\d+(?:\.\d+)?\s*\)"#)
    static let decimalPoint = TextPattern(#"\[\s*\d*\.\d+\s*,\s*\d*\.\d+\s*\]"#)
    static let codeBlock = TextPattern(#"(?s)```.*?(?:```|$)"#)
    static let codeSpan = TextPattern(#"`[^`\n]*`"#)
    /// Requests to compare: the words, comparatives ("taller than", "more ... or less"), two images or regions.
    static let comparison = TextPattern(
        #"(?i)\b(?:compar\w*|contrast\w*|differ\w*|similar\w*|versus|vs\.?|in common|(?:is|are) the same|(?:more|less|fewer)\b[^.?!\n]{0,40}\bthan|(?!rath|oth)\w+er than|more than|less than|fewer than|(?:more|less|fewer)\b[^.?!\n]*\bor\b[^.?!\n]*\b(?:more|less|fewer)|(?:two|both) (?:images|pictures|photos|regions|objects)|(?:left|right) (?:image|picture|photo))\b"#)
    /// "which/who ... higher, the most, the largest ...": picking one item by comparing values.
    static let whichSuperlative = TextPattern(
        #"(?i)\b(?:which|who)\b[^.?!\n]*\b(?:higher|lower|greater|larger|bigger|smaller|heavier|lighter|closer|taller|shorter|longer|older|younger|faster|slower|more|less|fewer|highest|lowest|greatest|largest|biggest|smallest|heaviest|tallest|shortest|longest|most|least)\b"#)
    /// Output formats and structures: markup and code, a given layout, lists, panel by panel, a rationale.
    static let format = TextPattern(
        #"(?i)\bformat\s*:|\b(?:in (?:the following|the|this|a \w+) format|following format|json|csv|yaml|xml|latex|html|subject line|javascript|markdown|bullet(?:ed)? (?:points?|list)|numbered list|as a (?:list|table)|in a table|panel by panel|give the rationale|with (?:a|the) rationale|hashtags?|in the style of|stable diffusion|rhym\w*)\b"#)
    /// Genres asked for by a writing verb: "write a poem", "compose a tweet", "create an advertisement".
    static let genre = TextPattern(
        #"(?i)\b(?:write|rewrite|compose|create|draft|craft|tell|give|make|generate|come up with)\b[^.?!\n]{0,60}\b(?:poems?|haikus?|limericks?|sonnets?|stor(?:y|ies)|fairy ?tales?|tales?|fables?|essays?|emails?|blogs?|blog posts?|tweets?|headlines?|slogans?|advertisements?|ads?|product descriptions?|songs?|lyrics|scripts?|speech|dialogues?|jokes?|riddles?|quotes?|recipes?|instagram|prompts?)\b"#)
    /// Prescribed lengths: "at least 150 words", "under 80 words", "a 100-word story", "in one paragraph".
    static let length = TextPattern(
        #"(?i)\b(?:(?:at least|at most|under|within|about|around|no more than|fewer than|less than|exactly|in|of|approximately) \d+ (?:words|sentences|characters|lines|paragraphs)|\d+[- ]word|in (?:one|two|three|a single) (?:paragraph|sentence)s?|(?:three|four|five|\d+) (?:haikus|stanzas|verses|bullet))\b"#)
    static let stepMarkers = TextPattern(
        #"(?i)\bstep\s*\d|\bstep[- ]by[- ]step\b|\blet'?s think\b|^\s*lecture:|\bsolution:|\bbecause:"#)
    static let stepRequest = TextPattern(
        #"(?i)\bstep[- ]by[- ]step\b|\bthink step\b|\bperform reasoning\b|\bshow (?:your )?work\b|\breason(?:ing)? step\b"#)
    static let equation = TextPattern(#"[\w\)\]²³°]\s*=\s*[-\w\(√$]"#)
    static let finalAnswer = TextPattern(
        #"(?i)\bthe (?:final |correct )?(?:answer|option) is\b|\banswer\s*:"#)
    static let conclusion = TextPattern(#"(?i)^(?:therefore|thus|hence|so)\b"#)
    static let sequencer = TextPattern(#"(?i)^(?:first|second|next|then|finally|lastly|now)\b"#)
    static let auxiliaries: Set<String> = [
        "is", "are", "was", "were", "am", "does", "do", "did", "can", "could", "will", "would", "should", "shall",
        "has", "have", "had", "may", "might", "must", "isn't", "aren't", "wasn't", "weren't", "doesn't", "don't",
        "didn't", "can't", "won't",
    ]
    /// Finite verbs that make a short answer a sentence rather than a phrase.
    static let finiteVerbs: Set<String> = [
        "is", "are", "was", "were", "am", "isn't", "aren't", "wasn't", "weren't", "has", "have", "had", "hasn't",
        "haven't", "does", "do", "did", "doesn't", "don't", "didn't", "can", "can't", "cannot", "could", "will",
        "won't", "would", "should", "may", "might", "must", "shall", "shows", "showed", "appears", "seems", "looks",
        "contains", "includes", "depicts", "features", "means", "indicates", "suggests", "it's", "there's",
        "that's", "he's", "she's", "they're", "i'm", "you're", "we're", "let's", "here's", "there're", "represents",
        "says", "reads",
    ]
    static let abbreviations: Set<String> = ["dr", "mr", "mrs", "ms", "st", "vs", "e.g", "i.e", "etc", "fig", "approx", "jr", "sr"]
}
