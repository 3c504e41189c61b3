"""The 14 capabilities and 9 styles of SPEC section 1, in order: (key, official name)."""

CAPABILITIES = [
    ("spatial", "object spatial understanding"),
    ("attribute", "attribute identification"),
    ("logical", "logical deduction"),
    ("scene", "scene understanding"),
    ("finegrained", "fine-grained recognition"),
    ("language", "language generation"),
    ("incontext", "in-context learning"),
    ("comparative", "comparative analysis"),
    ("activity", "activity recognition"),
    ("causal", "causal reasoning"),
    ("humanities", "humanities"),
    ("stem", "stem knowledge"),
    ("data", "data understanding"),
    ("ocr", "optical character recognition"),
]
STYLES = [
    ("style_multichoice", "multi-choice"),
    ("style_coordinate", "coordinate"),
    ("style_yesno", "yes/no"),
    ("style_short_phrase", "word/short-phrase"),
    ("style_short_desc", "short description"),
    ("style_detailed_desc", "detailed description"),
    ("style_comparison", "comparison"),
    ("style_cot", "chain-of-thought (step-by-step)"),
    ("style_specified", "specified style"),
]
