#!/usr/bin/env python3
"""Reference ids for the byte-level BPE tokenizer (Qwen2), computed with Hugging Face `tokenizers`.

    python3 tools/make_bpe_fixtures.py [--gguf weights/cache/qwen2.5-coder-0.5b-instruct.gguf]
    python3 tools/make_bpe_fixtures.py --swift-tables > Sources/Scorer/Tokenizer/HuggingFaceUnicodeTables+Regex.swift
    python3 tools/make_bpe_fixtures.py --bench-text /tmp/english.txt

The reference tokenizer is the one transformers builds from the GGUF (`AutoTokenizer.from_pretrained(dir,
gguf_file=...)`); without transformers it is built here from the GGUF's arrays with `tokenizers` the same way
(control tokens special, user-defined tokens added, Qwen2's Split then ByteLevel). Its tokenizer.json, and an NFC
variant with Qwen2's normaliser, go to .build/bpe-reference/ (11 MB each, git-ignored; the Swift tests build the
same from the GGUF). Writes (committed, small):

  Tests/ScorerTests/Fixtures/bpe_corpus.json   texts with their ids (as is; with NFC and with special tokens
                                               encoded as text, null when those equal the ids), decoded text;
                                               id lists with invalid UTF-8 and their HF decoding

--swift-tables probes every scalar through the `tokenizers` regex engine for \\p{L} and \\p{N} and prints the
Swift tables the pre-tokenizer scanner uses. --bench-text writes a long English text for `mmssr tokenize --time`.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import random
import sys

import tokenizers
from tokenizers import Regex, Tokenizer, pre_tokenizers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_GGUF = os.path.join(ROOT, "weights", "cache", "qwen2.5-coder-0.5b-instruct.gguf")
REFERENCE_DIR = os.path.join(ROOT, ".build", "bpe-reference")
OUT = os.path.join(ROOT, "Tests", "ScorerTests", "Fixtures", "bpe_corpus.json")
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


def bytes_to_unicode() -> dict[int, str]:
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    mapping, shifted = {}, 0
    for b in range(256):
        if b in printable:
            mapping[b] = chr(b)
        else:
            mapping[b] = chr(256 + shifted)
            shifted += 1
    return mapping


def reference_tokenizer(gguf_path: str) -> tuple[Tokenizer, str]:
    try:
        from transformers import AutoTokenizer

        hf = AutoTokenizer.from_pretrained(os.path.dirname(gguf_path), gguf_file=os.path.basename(gguf_path))
        return Tokenizer.from_str(hf.backend_tokenizer.to_str()), "transformers AutoTokenizer(gguf_file=...)"
    except ImportError:
        pass
    from gguf import GGUFReader
    from tokenizers import AddedToken, decoders, models

    reader = GGUFReader(gguf_path)

    def strings(key: str) -> list[str]:
        field = reader.fields[key]
        return [bytes(field.parts[i]).decode("utf-8") for i in field.data]

    tokens, merges = strings("tokenizer.ggml.tokens"), strings("tokenizer.ggml.merges")
    field = reader.fields["tokenizer.ggml.token_type"]
    types = [int(field.parts[i][0]) for i in field.data]
    tok = Tokenizer(models.BPE({t: i for i, t in enumerate(tokens)}, [tuple(m.split(" ")) for m in merges]))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Split(Regex(QWEN2_SPLIT), "isolated"), pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]
    )
    tok.decoder = decoders.ByteLevel()
    alphabet = set(bytes_to_unicode().values())
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t, k in zip(tokens, types) if k == 3 and set(t) <= alphabet])
    tok.add_tokens([AddedToken(t, normalized=False, special=False) for t, k in zip(tokens, types) if k == 4])
    return tok, "tokenizers built from the GGUF arrays"


def long_text(seed: int, length: int) -> str:
    """A deterministic ~20k-character mix of prose, code, numbers, scripts and whitespace."""
    pieces = [
        "The quick brown fox jumps over the lazy dog. ",
        "It's what they'd said: we're sure you'll see it's THEY'RE who've won. ",
        "def tokenize(text: str) -> list[int]:\n    return [ord(c) for c in text]\n\n",
        "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\n",
        "Prices rose 3.14159% to $1,234,567.89 on 2024-03-15T12:34:56Z. ",
        "Ça été très émouvant, naïve coöperation à São Paulo. ",
        "日本語のテキストと中文文本，还有한국어 문장도 있습니다。",
        "Emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 and ❤️‍🔥. ",
        "    indented line\r\n\r\n",
        "\t\ttabs\tand  double  spaces   here\n",
        "Здравствуй, мир! Γειά σου Κόσμε! مرحبا بالعالم! שלום עולם ",
        "<html><body class=\"main\">&nbsp;&lt;tag&gt;</body></html>\n",
        "1234567890123456789012345678901234567890 ",
        "=================================================\n",
    ]
    rng = random.Random(seed)
    out = []
    total = 0
    while total < length:
        piece = rng.choice(pieces)
        out.append(piece)
        total += len(piece)
    return "".join(out)[:length]


def corpus() -> list[tuple[str, str]]:
    e_composed, e_decomposed = "\u00e9", "e\u0301"
    cases = [
        ("empty", ""),
        ("ascii", "Hello, world! This is a simple sentence."),
        ("accents", "Café, naïve, résumé, Ångström, São Paulo, Zürich, Kraków, façade."),
        ("e_composed", f"caf{e_composed} {e_composed}t{e_composed}"),
        ("e_decomposed", f"caf{e_decomposed} {e_decomposed}t{e_decomposed}"),
        ("combining_marks_alone", "\u0301\u0308 a\u0301\u0301b \u0301x"),
        ("hangul_decomposed", "\u1100\u1161\u11a8 \uac01"),
        ("cjk", "日本語の文章です。中文测试：你好，世界！한국어 텍스트."),
        ("cjk_no_spaces", "我们今天去公园散步然后吃了很多好吃的东西"),
        ("emoji", "I ❤️ emoji 😀😃😄 👍🏽 🇫🇷"),
        ("emoji_zwj", "👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 ❤️‍🔥 🧑‍🤝‍🧑"),
        ("code_python", "def f(x):\n    if x > 0:\n        return x ** 2  # square\n    return -x\n"),
        ("code_c", "int main(void) {\n\tprintf(\"%d\\n\", a[i]->b);\n\treturn 0;\n}\n"),
        ("code_json", '{"key": [1, 2.5, -3e10], "nested": {"a": null, "b": true}}'),
        ("numbers", "Pi is 3.14159, e is 2.71828; 1,000,000 and 1e-9 and -42 and ½ ² ³ ٣ ५."),
        ("digit_run", "12345678901234567890123456789012345678901234567890"),
        ("digits_letters", "abc123def456 0x1F 2nd 3rd 100km"),
        ("whitespace_runs", "a  b   c    d\t\te\t \tf     "),
        ("newline_runs", "line1\n\nline2\n\n\nline3\r\nline4\r\n\r\nline5\rline6\n"),
        ("mixed_ws_newlines", "  \n  \t\n\t  x  \n \n  "),
        ("leading_trailing", "   leading and trailing   "),
        ("only_spaces", "     "),
        ("only_newlines", "\n\n\n"),
        ("unicode_spaces", "a\u00a0b\u2003c\u3000d\u2028e\u0085f \u00a0g"),
        ("contractions", "it's I'm you're we've they'll he'd don't can't"),
        ("contractions_upper", "IT'S I'M YOU'RE WE'VE THEY'LL HE'D DON'T 'LL 'Ll 'lL"),
        ("contractions_odd", "'s 'S ''s '' ' 'x 'ſ 'ſt rock'n'roll o'clock"),
        ("punctuation", "Hello!!! What?? (yes) [no] {maybe} <tag> ... --- *** ###"),
        ("symbols_newlines", "end.\n\n-- \n!!\r\n"),
        ("special_tokens", "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"),
        ("special_inside_words", "foo<|endoftext|>bar<|im_end|>baz <|im_start|> x<|im_start|><|im_end|>"),
        ("special_partial", "<|im_start <|im_end| <|endoftext |> <||>"),
        ("added_nonspecial", "<tool_call>\n{\"name\": \"f\"}\n</tool_call>"),
        ("fim", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>"),
        ("control_chars", "a\x00b\x01c\x7fd\x1be"),
        ("bom_zw", "\ufeffstart\u200bzero\u200dwidth"),
        ("rtl", "مرحبا بالعالم שלום עולם"),
        ("devanagari", "नमस्ते दुनिया"),
        ("thai", "สวัสดีชาวโลก"),
        ("math", "∀x∈ℝ: x² ≥ 0 ∧ ∑ᵢ aᵢ = ∫ f(x) dx"),
        ("supplementary", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛 𠀀𠀁 𓀀"),
        ("url", "https://example.com/path?query=1&b=2#frag"),
        ("long_word", "Pneumonoultramicroscopicsilicovolcanoconiosis antidisestablishmentarianism"),
        ("long_symbol_run", "=" * 300 + "\n" + "-" * 77),
        ("long_space_run", " " * 500 + "x" + "\t" * 40),
        ("text_20k", long_text(2026, 20000)),
    ]
    return cases


def decode_cases(tok: Tokenizer) -> list[dict]:
    byte_id = {b: tok.token_to_id(c) for b, c in bytes_to_unicode().items()}

    def ids(*parts) -> list[int]:
        out = []
        for part in parts:
            if isinstance(part, bytes):
                out += [byte_id[b] for b in part]
            else:
                out += tok.encode(part).ids
        return out

    emoji = tok.encode("😀").ids
    cases = [
        ("truncated_3byte", ids(b"a\xe6\x97", "b")),
        ("lone_continuations", ids(b"\x80\x80\xbf")),
        ("invalid_bytes", ids(b"\xff\xfe\xc0\xc1\xf5")),
        ("overlong", ids(b"\xc0\x80\xe0\x80\x80")),
        ("surrogate", ids(b"\xed\xa0\x80\xed\xbf\xbf")),
        ("above_max", ids(b"\xf4\x90\x80\x80")),
        ("truncated_4byte_then_ascii", ids(b"\xf0\x9f\x98", " ok")),
        ("mixed_valid_invalid", ids("héllo", b"\xe2\x82", "€", b"\xc3")),
        ("emoji_prefix", emoji[:-1] if len(emoji) > 1 else ids(b"\xf0\x9f")),
        ("special_and_invalid", [tok.token_to_id("<|im_start|>")] + ids(b"\xe6") + [tok.token_to_id("<|im_end|>")]),
        ("out_of_range_ids", [tok.token_to_id("<|im_start|>"), 151935, 10**6] + ids("x")),
    ]
    out = []
    for name, id_list in cases:
        out.append({
            "name": name,
            "ids": id_list,
            "text": tok.decode(id_list, skip_special_tokens=False),
            "text_skip_special": tok.decode(id_list, skip_special_tokens=True),
        })
    return out


def probe_class(pattern: str) -> list[list[int]]:
    split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    scalars = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    members = []
    for start in range(0, len(scalars), 50000):
        chunk = scalars[start:start + 50000]
        text = "".join(map(chr, chunk))
        covered = bytearray(len(chunk))
        for piece, (a, b) in split.pre_tokenize_str(text):
            assert text[a:b] == piece
            covered[a:b] = b"\x01" * (b - a)
        members += [c for c, hit in zip(chunk, covered) if not hit]
    ranges: list[list[int]] = []
    for c in members:
        if ranges and ranges[-1][1] == c - 1:
            ranges[-1][1] = c
        else:
            ranges.append([c, c])
    return ranges


def swift_tables() -> str:
    def table(name: str, doc: str, ranges: list[list[int]]) -> str:
        flat = [v for r in ranges for v in r]
        rows = ["        " + ", ".join("0x%04X" % v for v in flat[i:i + 12]) + "," for i in range(0, len(flat), 12)]
        return f"    /// {doc}\n    static let {name}: [UInt32] = [\n" + "\n".join(rows) + "\n    ]\n"

    # \s is not probed into a table: it equals ScalarClass.whitespace (Rust's White_Space); checked here.
    assert probe_class(r"\s") == [[9, 13], [32, 32], [133, 133], [160, 160], [5760, 5760], [8192, 8202],
                                 [8232, 8233], [8239, 8239], [8287, 8287], [12288, 12288]]
    return (
        "// Generated by tools/make_bpe_fixtures.py --swift-tables: every scalar probed through `tokenizers` "
        f"{tokenizers.__version__}'s\n"
        "// regex engine (Oniguruma), which byte-level BPE pre-tokenizers such as Qwen2's run. Its Unicode tables differ\n"
        "// from Swift's `Unicode.Scalar.Properties` for scripts encoded since, so the classes are HF's, not the stdlib's.\n\n"
        "extension HuggingFaceUnicodeTables {\n"
        + table("letters", "`\\p{L}`.", probe_class(r"\p{L}")) + "\n"
        + table("numbers", "`\\p{N}`.", probe_class(r"\p{N}")) + "}\n"
    )


def bench_text(path: str) -> None:
    """Long English prose: the licence texts Debian ships, concatenated (about 1.3 MB)."""
    texts = [open(p, encoding="utf-8", errors="replace").read() for p in sorted(glob.glob("/usr/share/common-licenses/*")) if os.path.isfile(p)]
    with open(path, "w", encoding="utf-8") as f:
        for text in texts:
            for paragraph in text.split("\n\n"):
                if paragraph.strip():
                    f.write(json.dumps({"text": paragraph}, ensure_ascii=False) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gguf", default=DEFAULT_GGUF)
    parser.add_argument("--swift-tables", action="store_true")
    parser.add_argument("--bench-text", metavar="JSONL")
    args = parser.parse_args()
    if args.swift_tables:
        sys.stdout.write(swift_tables())
        return
    if args.bench_text:
        bench_text(args.bench_text)
        return

    tok, source = reference_tokenizer(args.gguf)
    os.makedirs(REFERENCE_DIR, exist_ok=True)
    cache = os.path.join(REFERENCE_DIR, os.path.splitext(os.path.basename(args.gguf))[0])
    tok.save(cache + ".tokenizer.json")
    spec = json.loads(tok.to_str())
    assert spec["normalizer"] is None and spec["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] == QWEN2_SPLIT
    spec["normalizer"] = {"type": "NFC"}
    nfc = Tokenizer.from_str(json.dumps(spec))
    nfc.save(cache + ".nfc.tokenizer.json")
    plain_special = Tokenizer.from_str(tok.to_str())
    plain_special.encode_special_tokens = True

    cases = []
    for name, text in corpus():
        ids = tok.encode(text, add_special_tokens=False).ids
        ids_nfc = nfc.encode(text, add_special_tokens=False).ids
        ids_special_as_text = plain_special.encode(text, add_special_tokens=False).ids
        cases.append({
            "name": name,
            "text": text,
            "ids": ids,
            "ids_nfc": ids_nfc if ids_nfc != ids else None,
            "ids_special_as_text": ids_special_as_text if ids_special_as_text != ids else None,
            "decoded": tok.decode(ids, skip_special_tokens=False),
            "decoded_skip_special": tok.decode(ids, skip_special_tokens=True),
        })
    fixture = {
        "reference": f"{source}, tokenizers {tokenizers.__version__}",
        "gguf": os.path.basename(args.gguf),
        "vocabulary_size": tok.get_vocab_size(with_added_tokens=True),
        "special_tokens": {t["content"]: t["id"] for t in spec["added_tokens"] if t["special"]},
        "added_tokens": {t["content"]: t["id"] for t in spec["added_tokens"] if not t["special"]},
        "cases": cases,
        "decode_cases": decode_cases(tok),
    }
    with open(OUT, "w", encoding="utf-8") as f:
        # ASCII escapes: Foundation's JSON parser drops a raw U+FEFF inside strings.
        json.dump(fixture, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {OUT} ({os.path.getsize(OUT)} bytes, {len(cases)} texts) and {cache}[.nfc].tokenizer.json")


if __name__ == "__main__":
    main()
