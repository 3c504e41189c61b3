import Foundation
import XCTest
import TestSupport
@testable import Scorer

/// The WordPiece tokenizer against Hugging Face `tokenizers` (shared corpus from tools/make_fixtures.py), plus
/// hand-written cases on a tiny vocabulary that pin each pipeline stage on its own.
final class WordPieceTokenizerTests: XCTestCase {
    // MARK: Hugging Face agreement

    /// all-MiniLM-L6-v2's tokenizer.json as weights/fetch.py extracts it; MMSSR_TOKENIZER_JSON overrides.
    static var huggingFaceJSONPath: String {
        ProcessInfo.processInfo.environment["MMSSR_TOKENIZER_JSON"]
            ?? ModelPaths.repository.appendingPathComponent("weights/cache/all-minilm-l6-v2/tokenizer.json").path
    }

    func testEveryCorpusStringMatchesHuggingFace() throws {
        let tokenizer = try WordPieceTokenizer.loadingHuggingFaceJSON(path: ModelPaths.require(Self.huggingFaceJSONPath))
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/tokenizer_corpus.json", withExtension: nil))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let items = try XCTUnwrap(json["items"] as? [[String: Any]])
        XCTAssertGreaterThan(items.count, 100)
        var agreeing = 0
        var truncatedChecked = 0
        var failures: [String] = []
        for item in items {
            let text = try XCTUnwrap(item["text"] as? String)
            let ids = try XCTUnwrap(item["ids"] as? [NSNumber]).map(\.int32Value)
            let truncated = (item["ids_trunc256"] as? [NSNumber])?.map(\.int32Value)
            XCTAssert(truncated != nil || ids.count <= 256, "fixture lacks ids_trunc256 for \(text.prefix(40))")
            let expected256 = truncated ?? ids
            truncatedChecked += ids.count > 256 ? 1 : 0
            let full = tokenizer.encode(text, maxTokens: Int.max)
            let cut = tokenizer.encode(text, maxTokens: 256)
            if full == ids && cut == expected256 {
                agreeing += 1
            } else if failures.count < 10 {
                failures.append("\(text.unicodeScalars.map { "U+" + String($0.value, radix: 16) }.prefix(24)): "
                    + "HF \(ids.prefix(24)) vs \(full.prefix(24)), at 256: \(cut == expected256)")
            }
        }
        XCTAssertEqual(agreeing, items.count, "strings differing from HF:\n" + failures.joined(separator: "\n"))
        XCTAssertGreaterThan(truncatedChecked, 0, "the corpus should exercise truncation")
    }

    func testKnownHuggingFaceIDs() throws {
        let tokenizer = try WordPieceTokenizer.loadingHuggingFaceJSON(path: ModelPaths.require(Self.huggingFaceJSONPath))
        // İ decomposes to I + U+0307, the mark is stripped, then I lowercases; Σ lowercases per scalar to σ.
        XCTAssertEqual(tokenizer.encode("İstanbul ΣΑΣ", maxTokens: 256), [101, 9960, 1173, 14608, 29733, 102])
        // Hangul syllables decompose to jamo under NFD.
        XCTAssertEqual(tokenizer.encode("한", maxTokens: 256), [101, 1469, 30006, 30021, 102])
        XCTAssertEqual(tokenizer.encode("hello[MASK]world", maxTokens: 256), [101, 7592, 103, 2088, 102])
    }

    // MARK: Pipeline stages on a tiny vocabulary

    static let tinyVocab = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
        "hello", "world", "cafe", "un", "##aff", "##able", "a", "##a", "aaa", "##aa", ",", "!", "！", "[", "]",
        "mask", "我", "爱", "i", "##\u{307}", "##stanbul", "ж", "##ж", "👨", "##👩", "##👧", "❤", "क", "##ि",
        "म", "x", "##x", "\u{2B820}", "##\u{2B820}", "\u{2B920}", "\u{1723}", "##\u{1734}",
        "\u{11938}", "\u{11935}", "##\u{11930}",
    ]

    func tokenizer(stripAccents: Bool = true) throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocab: Self.tinyVocab, stripAccents: stripAccents)
    }

    func tokens(_ text: String, maxTokens: Int = 256, stripAccents: Bool = true) throws -> [String] {
        let ids = try tokenizer(stripAccents: stripAccents).encode(text, maxTokens: maxTokens)
        XCTAssertEqual(ids.first, 2)
        XCTAssertEqual(ids.last, 3)
        return ids.dropFirst().dropLast().map { Self.tinyVocab[Int($0)] }
    }

    func testAccentsAreStrippedAndTextLowercased() throws {
        XCTAssertEqual(try tokens("Café CAFE\u{301}"), ["cafe", "cafe"])
        // NFD splits U+0130 into I + U+0307 and the mark goes before lowercasing.
        XCTAssertEqual(try tokens("İstanbul"), ["i", "##stanbul"])
        // Without stripping, lowercase expands U+0130 to i + U+0307 (Rust's char::to_lowercase).
        XCTAssertEqual(try tokens("İstanbul", stripAccents: false), ["i", "##\u{307}", "##stanbul"])
    }

    func testChineseIdeographsBecomeWordsButHFsRangeGapIsKept() throws {
        XCTAssertEqual(try tokens("我爱hello"), ["我", "爱", "hello"])
        // HF's ranges skip U+2B820...U+2B91F (its table starts the block at 0x2B920).
        XCTAssertEqual(try tokens("\u{2B820}\u{2B820}"), ["\u{2B820}", "##\u{2B820}"])
        XCTAssertEqual(try tokens("\u{2B920}\u{2B920}"), ["\u{2B920}", "\u{2B920}"])
    }

    func testPunctuationIsIsolatedAndWhitespaceSplits() throws {
        XCTAssertEqual(try tokens("hello,world!"), ["hello", ",", "world", "!"])
        XCTAssertEqual(try tokens("hello\u{3000}world\u{00A0}a\u{2028}a"), ["hello", "world", "a", "a"])
        // Full-width letters are not folded; the full-width mark is still punctuation.
        XCTAssertEqual(try tokens("ｈｅｌｌｏ！"), ["[UNK]", "！"])
    }

    func testContinuationPiecesAndWholeWordUnknown() throws {
        XCTAssertEqual(try tokens("unaffable"), ["un", "##aff", "##able"])
        // One unmatched remainder turns the whole word into [UNK], not a partial match.
        XCTAssertEqual(try tokens("unaffablez hello"), ["[UNK]", "hello"])
    }

    func testMaxInputCharsCountsScalarsNotBytesOrGraphemes() throws {
        XCTAssertEqual(try tokens(String(repeating: "a", count: 100)), ["aaa"] + Array(repeating: "##aa", count: 48) + ["##a"])
        XCTAssertEqual(try tokens(String(repeating: "a", count: 101)), ["[UNK]"])
        // 100 two-byte scalars are within the limit; 101 are not.
        XCTAssertEqual(try tokens(String(repeating: "ж", count: 100)).count, 100)
        XCTAssertEqual(try tokens(String(repeating: "ж", count: 101)), ["[UNK]"])
        // Each x with a stripped accent is one scalar after normalisation, though two before it.
        XCTAssertEqual(try tokens(String(repeating: "x\u{301}", count: 100)).count, 100)
    }

    func testCleanTextDropsControlsAndFormatCharacters() throws {
        XCTAssertEqual(try tokens("hel\u{0}lo\u{FFFD} wor\u{200B}ld\u{AD}\u{7}\tcafe"), ["hello", "world", "cafe"])
        // ZWJ (Cf) disappears, so an emoji family sequence is three scalars of one word.
        XCTAssertEqual(try tokens("👨\u{200D}👩\u{200D}👧"), ["👨", "##👩", "##👧"])
        // The emoji variation selector is Mn and is stripped with the accents.
        XCTAssertEqual(try tokens("❤\u{FE0F}"), ["❤"])
    }

    func testMarksFollowHFsUnicodeTablesNotSwifts() throws {
        // Devanagari vowel sign I is Mc (kept); virama and vowel sign E are Mn (stripped).
        XCTAssertEqual(try tokens("कि म\u{94D}\u{947}"), ["क", "##ि", "म"])
        // U+1734 became Mc in Unicode 14; HF's tables still call it Mn and drop it.
        XCTAssertEqual(try tokens("\u{1723}\u{1734}"), ["\u{1723}"])
        // U+11938 decomposes since Unicode 13; HF's Unicode 9 NFD leaves it whole.
        XCTAssertEqual(try tokens("\u{11938}"), ["\u{11938}"])
        XCTAssertEqual(try tokens("\u{11935}\u{11930}"), ["\u{11935}", "##\u{11930}"])
    }

    func testSpecialTokensAreMatchedVerbatimBeforeNormalisation() throws {
        XCTAssertEqual(try tokens("hello[MASK]world [SEP]"), ["hello", "[MASK]", "world", "[SEP]"])
        // Matching is on the raw, case-sensitive text, so this is ordinary punctuation and a word.
        XCTAssertEqual(try tokens("[mask]"), ["[", "mask", "]"])
    }

    func testTruncationKeepsClsAndSepWithinMaxTokens() throws {
        let tokenizer = try tokenizer()
        let text = String(repeating: "hello world ", count: 300)
        let full = tokenizer.encode(text, maxTokens: Int.max)
        XCTAssertEqual(full.count, 602)
        let cut = tokenizer.encode(text, maxTokens: 256)
        XCTAssertEqual(cut.count, 256)
        XCTAssertEqual(cut, Array(full.prefix(255)) + [3])
        XCTAssertEqual(tokenizer.encode(text, maxTokens: 2), [2, 3])
        XCTAssertEqual(tokenizer.encode("hello", maxTokens: 256), [2, 5, 3])
    }

    func testInitRejectsMissingAndDuplicateTokens() {
        XCTAssertThrowsError(try WordPieceTokenizer(vocab: ["[CLS]", "[SEP]", "[PAD]", "[MASK]"])) {
            XCTAssertEqual($0 as? TokenizerError, .missingToken("[UNK]"))
        }
        XCTAssertThrowsError(try WordPieceTokenizer(vocab: Self.tinyVocab + ["hello"])) {
            XCTAssertEqual($0 as? TokenizerError, .duplicateToken("hello"))
        }
    }
}
