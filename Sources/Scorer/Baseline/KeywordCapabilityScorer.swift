/// The keyword baseline for the 14 capability scores (SPEC §1 order): for every capability, count how many
/// times its cue words occur in the sample's text (all turns, case-insensitive, whole words; a phrase counts
/// when its words occur in sequence), and report min(count, 5) as that capability's 0-5 score.
/// `mmssr eval` prints its top-3 hit rate next to the model's.
public enum KeywordCapabilityScorer {
    /// Cue words per capability, in SPEC order (spatial ... ocr).
    /// Cue words per capability, in SPEC order (spatial ... ocr). Generic cues, written from the capability
    /// definitions and not tuned on the example pool.
    public static let keywords: [[String]] = [
        // spatial
        ["left", "right", "above", "below", "behind", "in front", "next to", "between", "position", "located",
         "where", "bounding box", "coordinate", "coordinates", "corner", "top", "bottom", "near", "relative",
         "region", "location"],
        // attribute
        ["color", "colour", "red", "blue", "green", "yellow", "white", "black", "shape", "size", "material",
         "wearing", "texture", "how many", "count", "number of"],
        // logical
        ["therefore", "thus", "hence", "infer", "deduce", "conclude", "if", "must", "implies", "logic",
         "logical", "reasoning", "true", "false"],
        // scene
        ["scene", "describe", "image", "picture", "photo", "background", "setting", "indoor", "outdoor",
         "environment", "place", "view"],
        // finegrained
        ["breed", "species", "type", "kind", "brand", "model", "specific", "identify", "variety"],
        // language
        ["write", "rewrite", "summarize", "summarise", "summary", "caption", "poem", "email", "sentence",
         "paragraph", "story", "translate", "tone", "essay"],
        // incontext
        ["example", "examples", "same way", "same style", "same format", "following", "similarly", "as shown"],
        // comparative
        ["compare", "comparison", "difference", "differ", "more than", "less than", "larger", "smaller",
         "higher", "lower", "versus", "vs", "both", "whereas", "similar"],
        // activity
        ["doing", "playing", "activity", "action", "walking", "running", "riding", "holding", "sitting",
         "standing", "eating", "cooking", "working"],
        // causal
        ["why", "because", "cause", "caused", "effect", "result", "due to", "lead to", "happen", "reason",
         "explain"],
        // humanities
        ["history", "historical", "ancient", "culture", "cultural", "art", "painting", "poet", "author", "century",
         "religion", "literature", "civilization", "museum", "king", "war"],
        // stem
        ["math", "equation", "solve", "angle", "triangle", "circle", "area", "physics", "chemistry", "biology",
         "theorem", "cell", "science", "scientific", "calculate", "formula", "energy", "force"],
        // data
        ["chart", "graph", "table", "bar", "pie", "data", "percentage", "percent", "average", "total", "value",
         "values", "statistic", "trend", "row", "column", "axis"],
        // ocr
        ["text", "written", "read", "says", "title", "heading", "name", "printed", "sign", "label", "document",
         "word", "words", "letter", "font"],
    ]

    public static let maxScore: Float = 5

    /// 14 scores in [0, 5], SPEC order.
    public static func scores(text: String) -> [Float] {
        let tokens = tokenize(text)
        var unigram: [Substring: Int] = [:]
        for t in tokens { unigram[t, default: 0] += 1 }
        return keywords.map { cues in
            var n = 0
            for cue in cues {
                let parts = cue.split(separator: " ")
                if parts.count == 1 {
                    n += unigram[parts[0], default: 0]
                } else {
                    n += countPhrase(parts, in: tokens)
                }
            }
            return min(Float(n), maxScore)
        }
    }

    /// Lowercased runs of letters and digits (an apostrophe inside a word is kept: "let's").
    static func tokenize(_ text: String) -> [Substring] {
        let lower = text.lowercased()
        var out: [Substring] = []
        var start: String.Index? = nil
        var i = lower.startIndex
        while i < lower.endIndex {
            let c = lower[i]
            let inWord = c.isLetter || c.isNumber || (c == "'" && start != nil)
            if inWord {
                if start == nil { start = i }
            } else if let s = start {
                out.append(lower[s..<i]); start = nil
            }
            i = lower.index(after: i)
        }
        if let s = start { out.append(lower[s...]) }
        return out
    }

    static func countPhrase(_ parts: [Substring], in tokens: [Substring]) -> Int {
        guard parts.count <= tokens.count else { return 0 }
        var n = 0
        for i in 0...(tokens.count - parts.count) where tokens[i] == parts[0] {
            var ok = true
            for j in 1..<parts.count where tokens[i + j] != parts[j] { ok = false; break }
            if ok { n += 1 }
        }
        return n
    }
}
