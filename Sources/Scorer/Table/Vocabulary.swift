/// The 14 capabilities of SPEC §1: table column keys and the official names used in the teacher prompts.
public enum Capabilities {
    public static let keys: [String] = [
        "spatial", "attribute", "logical", "scene", "finegrained", "language", "incontext",
        "comparative", "activity", "causal", "humanities", "stem", "data", "ocr",
    ]
    public static let names: [String] = [
        "object spatial understanding", "attribute identification", "logical deduction", "scene understanding",
        "fine-grained recognition", "language generation", "in-context learning", "comparative analysis",
        "activity recognition", "causal reasoning", "humanities", "stem knowledge", "data understanding",
        "optical character recognition",
    ]
}

/// The 9 interaction styles of SPEC §1: table column names and official names (what the `styles` column holds).
public enum Styles {
    public static let keys: [String] = [
        "style_multichoice", "style_coordinate", "style_yesno", "style_short_phrase", "style_short_desc",
        "style_detailed_desc", "style_comparison", "style_cot", "style_specified",
    ]
    public static let names: [String] = [
        "multi-choice", "coordinate", "yes/no", "word/short-phrase", "short description",
        "detailed description", "comparison", "chain-of-thought (step-by-step)", "specified style",
    ]

    /// Splits a `styles` cell ("a, b" in the table, "a,b" in official outputs) into its names.
    public static func split(_ cell: String) -> [String] {
        cell.split(separator: ",").map { $0.trimmingSpaces }.filter { !$0.isEmpty }
    }
}

extension Substring {
    var trimmingSpaces: String {
        var s = self[...]
        while let f = s.first, f == " " { s = s.dropFirst() }
        while let l = s.last, l == " " { s = s.dropLast() }
        return String(s)
    }
}
