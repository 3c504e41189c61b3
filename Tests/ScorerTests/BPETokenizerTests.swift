import Foundation
import XCTest
import Tensor
import TestSupport
@testable import Scorer

/// The byte-level BPE tokenizer against Hugging Face `tokenizers` on the Qwen2.5-Coder-0.5B GGUF's vocabulary
/// (fixture from tools/make_bpe_fixtures.py), both loaders, and the typed errors of malformed inputs.
final class BPETokenizerTests: XCTestCase {
    static let ggufPath = ModelPaths.repository.appendingPathComponent("weights/cache/qwen2.5-coder-0.5b-instruct.gguf").path

    struct Case {
        let name: String
        let text: String
        let ids: [Int32]
        let idsNFC: [Int32]
        let idsSpecialAsText: [Int32]
        let decoded: String
        let decodedSkipSpecial: String
    }

    struct DecodeCase {
        let name: String
        let ids: [Int32]
        let text: String
        let textSkipSpecial: String
    }

    struct Fixture {
        let vocabularySize: Int
        let specialTokens: [String: Int32]
        let addedTokens: [String: Int32]
        let cases: [Case]
        let decodeCases: [DecodeCase]
    }

    nonisolated(unsafe) private static var loaded: (GGUFFile, BPETokenizer)?

    /// The GGUF and its tokenizer, loaded once; the test skips (with the reason) only when the file is absent.
    private func gguf() throws -> (GGUFFile, BPETokenizer) {
        if let loaded = Self.loaded { return loaded }
        guard FileManager.default.fileExists(atPath: Self.ggufPath) else {
            throw XCTSkip("missing \(Self.ggufPath): run weights/setup.sh (CI has it)")
        }
        let file = try GGUFFile(path: Self.ggufPath)
        let loaded = (file, try BPETokenizer(file: file))
        Self.loaded = loaded
        return loaded
    }

    private func fixture() throws -> Fixture {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/bpe_corpus.json", withExtension: nil))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        func ids(_ value: Any?) -> [Int32]? { (value as? [NSNumber])?.map(\.int32Value) }
        func tokenMap(_ value: Any?) -> [String: Int32] { (value as? [String: NSNumber] ?? [:]).mapValues(\.int32Value) }
        let cases = try XCTUnwrap(json["cases"] as? [[String: Any]]).map { item in
            let plain = ids(item["ids"])!
            return Case(
                name: item["name"] as! String, text: item["text"] as! String, ids: plain,
                idsNFC: ids(item["ids_nfc"]) ?? plain, idsSpecialAsText: ids(item["ids_special_as_text"]) ?? plain,
                decoded: item["decoded"] as! String, decodedSkipSpecial: item["decoded_skip_special"] as! String)
        }
        let decodeCases = try XCTUnwrap(json["decode_cases"] as? [[String: Any]]).map { item in
            DecodeCase(
                name: item["name"] as! String, ids: ids(item["ids"])!, text: item["text"] as! String,
                textSkipSpecial: item["text_skip_special"] as! String)
        }
        return Fixture(
            vocabularySize: try XCTUnwrap(json["vocabulary_size"] as? Int), specialTokens: tokenMap(json["special_tokens"]),
            addedTokens: tokenMap(json["added_tokens"]), cases: cases, decodeCases: decodeCases)
    }

    // MARK: Hugging Face agreement

    func testIdsMatchHuggingFaceOnEveryFixtureText() throws {
        let (_, tokenizer) = try gguf()
        let fixture = try fixture()
        XCTAssertGreaterThan(fixture.cases.count, 40)
        XCTAssert(fixture.cases.contains { $0.text.unicodeScalars.count >= 20000 }, "the corpus lacks its 20k-character text")
        for item in fixture.cases {
            XCTAssertEqual(tokenizer.encode(item.text), item.ids, item.name)
            XCTAssertEqual(tokenizer.encode(item.text, allowSpecial: false), item.idsSpecialAsText, "\(item.name), specials as text")
        }
    }

    /// One encoder over every text twice: the second pass answers mostly from the word cache.
    func testReusedEncoderMatchesHuggingFace() throws {
        let (_, tokenizer) = try gguf()
        var encoder = tokenizer.makeEncoder()
        for item in try fixture().cases + fixture().cases {
            XCTAssertEqual(encoder.encode(item.text), item.ids, item.name)
        }
    }

    func testDecodeRoundTripsAndMatchesHuggingFace() throws {
        let (_, tokenizer) = try gguf()
        for item in try fixture().cases {
            XCTAssertEqual(tokenizer.decode(tokenizer.encode(item.text)), item.text, item.name)
            XCTAssertEqual(tokenizer.decode(item.ids), item.decoded, item.name)
            XCTAssertEqual(tokenizer.decode(item.ids, skipSpecial: true), item.decodedSkipSpecial, item.name)
        }
    }

    func testDecodeOfInvalidUTF8MatchesHuggingFace() throws {
        let (_, tokenizer) = try gguf()
        let cases = try fixture().decodeCases
        XCTAssertGreaterThan(cases.count, 8)
        for item in cases {
            XCTAssertEqual(tokenizer.decode(item.ids), item.text, item.name)
            XCTAssertEqual(tokenizer.decode(item.ids, skipSpecial: true), item.textSkipSpecial, item.name)
        }
        XCTAssert(cases.contains { $0.text.contains("\u{FFFD}") }, "no case exercises U+FFFD")
    }

    func testSpecialTokensAndVocabulary() throws {
        let (_, tokenizer) = try gguf()
        let fixture = try fixture()
        XCTAssertEqual(tokenizer.vocabularySize, fixture.vocabularySize)
        XCTAssertEqual(fixture.specialTokens.count, 20)
        for (token, id) in fixture.specialTokens {
            XCTAssertEqual(tokenizer.id(of: token), id, token)
            XCTAssertEqual(tokenizer.token(of: id), token)
            XCTAssertEqual(tokenizer.encode(token), [id], token)
        }
        let special = Dictionary(uniqueKeysWithValues: tokenizer.addedTokens.filter(\.special).map { ($0.content, $0.id) })
        let plain = Dictionary(uniqueKeysWithValues: tokenizer.addedTokens.filter { !$0.special }.map { ($0.content, $0.id) })
        XCTAssertEqual(special, fixture.specialTokens)
        XCTAssertEqual(plain, fixture.addedTokens)
        XCTAssertEqual(tokenizer.eosTokenID, tokenizer.id(of: "<|im_end|>"))
        XCTAssertEqual(tokenizer.padTokenID, tokenizer.id(of: "<|endoftext|>"))
        XCTAssertFalse(tokenizer.normalizesNFC, "llama.cpp's GGUF has no NFC normaliser")
        XCTAssertEqual(tokenizer.id(of: "Ġthe"), 279)
        XCTAssertNil(tokenizer.id(of: "not a token"))
        XCTAssertNil(tokenizer.token(of: -1))
        XCTAssertNil(tokenizer.token(of: Int32(tokenizer.vocabularySize)))
    }

    // MARK: The tokenizer.json loader

    /// A tokenizer.json written from the GGUF's arrays as HF serialises it, with Qwen2's NFC normaliser: the
    /// loader must reproduce HF's NFC ids (decomposed accents and Hangul compose first).
    func testHuggingFaceJSONLoaderWithNFCMatchesHuggingFace() throws {
        let (file, gguf) = try gguf()
        let fixture = try fixture()
        let path = try writeTokenizerJSON(
            tokens: file.strings("tokenizer.ggml.tokens"), merges: file.strings("tokenizer.ggml.merges"),
            added: gguf.addedTokens, nfc: true)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try BPETokenizer.loadingHuggingFaceJSON(path: path)
        XCTAssertTrue(tokenizer.normalizesNFC)
        XCTAssertEqual(tokenizer.vocabularySize, fixture.vocabularySize)
        XCTAssertEqual(tokenizer.eosTokenID, tokenizer.id(of: "<|im_end|>"))
        XCTAssertEqual(tokenizer.addedTokens, gguf.addedTokens)
        for item in fixture.cases {
            XCTAssertEqual(tokenizer.encode(item.text), item.idsNFC, item.name)
            // The fixture's special-as-text ids are without NFC; no text needs both.
            if item.idsNFC == item.ids {
                XCTAssertEqual(tokenizer.encode(item.text, allowSpecial: false), item.idsSpecialAsText, item.name)
            }
        }
        XCTAssert(fixture.cases.contains { $0.idsNFC != $0.ids }, "no fixture text changes under NFC")
    }

    /// The small vocabulary of the malformed-input tests as a tokenizer.json, without normaliser.
    func testHuggingFaceJSONLoaderOnSmallVocabulary() throws {
        let path = try writeTokenizerJSON(
            tokens: Self.byteAlphabet + ["ab", "Ġa"], merges: ["a b", "Ġ a"],
            added: [.init(content: "<|x|>", id: 258, special: true), .init(content: "<y>", id: 259, special: false)], nfc: false)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let tokenizer = try BPETokenizer.loadingHuggingFaceJSON(path: path)
        XCTAssertFalse(tokenizer.normalizesNFC)
        XCTAssertEqual(tokenizer.vocabularySize, 260)
        XCTAssertEqual(tokenizer.encode("ab a<|x|><y>"), [256, 257, 258, 259])
        XCTAssertEqual(tokenizer.encode("<|x|><y>", allowSpecial: false).count, 6)
        XCTAssertEqual(tokenizer.decode([256, 258, 259], skipSpecial: true), "ab<y>")
    }

    private func writeTokenizerJSON(
        tokens: [String], merges: [String], added addedTokens: [BPETokenizer.AddedToken], nfc: Bool,
        edit: (inout [String: Any]) -> Void = { _ in }
    ) throws -> String {
        let added = addedTokens.map { token -> [String: Any] in
            [
                "id": Int(token.id), "content": token.content, "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": false, "special": token.special,
            ]
        }
        // HF keeps added tokens that extend the vocabulary out of model.vocab.
        let vocab = Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) })
        var root: [String: Any] = [
            "version": "1.0",
            "added_tokens": added,
            "normalizer": nfc ? ["type": "NFC"] : NSNull(),
            "pre_tokenizer": [
                "type": "Sequence",
                "pretokenizers": [
                    ["type": "Split", "pattern": ["Regex": BPETokenizer.qwen2SplitPattern], "behavior": "Isolated", "invert": false],
                    ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
                ],
            ],
            "decoder": ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false, "use_regex": false],
            "model": [
                "type": "BPE", "dropout": NSNull(), "unk_token": NSNull(), "continuing_subword_prefix": "",
                "end_of_word_suffix": "", "fuse_unk": false, "byte_fallback": false, "ignore_merges": false,
                "vocab": vocab,
                "merges": merges.map { $0.split(separator: " ").map(String.init) },
            ],
        ]
        edit(&root)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString).json").path
        try JSONSerialization.data(withJSONObject: root).write(to: URL(fileURLWithPath: path))
        return path
    }

    // MARK: Malformed inputs

    /// A six-token vocabulary is enough for the errors the initialiser owns.
    private static let byteAlphabet = ByteLevelAlphabet.scalarOfByte.map { String(Character($0)) }

    func testInitialiserRejectsMergesNamingUnknownTokens() {
        let vocabulary = Self.byteAlphabet + ["ab"]
        XCTAssertNoThrow(try BPETokenizer(vocabulary: vocabulary, merges: [("a", "b")], addedTokens: [], normalizesNFC: false))
        XCTAssertThrowsError(try BPETokenizer(vocabulary: vocabulary, merges: [("a", "b"), ("ab", "zz")], addedTokens: [], normalizesNFC: false)) {
            XCTAssertEqual($0 as? TokenizerError, .invalidMerge(index: 1, merge: "ab zz", reason: "right token \"zz\" is not in the vocabulary"))
        }
        XCTAssertThrowsError(try BPETokenizer(vocabulary: vocabulary, merges: [("b", "a")], addedTokens: [], normalizesNFC: false)) {
            XCTAssertEqual($0 as? TokenizerError, .invalidMerge(index: 0, merge: "b a", reason: "merged token \"ba\" is not in the vocabulary"))
        }
        XCTAssertThrowsError(try BPETokenizer(vocabulary: Array(Self.byteAlphabet.dropLast()), merges: [], addedTokens: [], normalizesNFC: false)) {
            XCTAssertEqual($0 as? TokenizerError, .missingToken(Self.byteAlphabet.last!))
        }
        XCTAssertThrowsError(try BPETokenizer(vocabulary: vocabulary + ["ab"], merges: [], addedTokens: [], normalizesNFC: false)) {
            XCTAssertEqual($0 as? TokenizerError, .duplicateToken("ab"))
        }
        XCTAssertThrowsError(try BPETokenizer(
            vocabulary: vocabulary, merges: [], addedTokens: [.init(content: "<x>", id: 3, special: true)], normalizesNFC: false)
        ) { XCTAssertTrue("\($0)".contains("<x>"), "\($0)") }
    }

    func testSmallVocabularyAppliesMergesByRank() throws {
        // "abc": (b, c) outranks (a, b), so HF makes a + bc, then abc only if that merge exists.
        let vocabulary = Self.byteAlphabet + ["ab", "bc", "abc", "Ġa"]
        let tokenizer = try BPETokenizer(
            vocabulary: vocabulary, merges: [("b", "c"), ("a", "b"), ("Ġ", "a")],
            addedTokens: [.init(content: "<|x|>", id: Int32(vocabulary.count), special: true)], normalizesNFC: false)
        let id = { (token: String) in tokenizer.id(of: token)! }
        XCTAssertEqual(tokenizer.encode("abc"), [id("a"), id("bc")])
        XCTAssertEqual(tokenizer.encode("abab a"), [id("ab"), id("ab"), id("Ġa")])
        XCTAssertEqual(tokenizer.encode("ab<|x|>c"), [id("ab"), id("<|x|>"), id("c")])
        XCTAssertEqual(tokenizer.encode("<|x|>", allowSpecial: false), [id("<"), id("|"), id("x"), id("|"), id(">")])
        XCTAssertEqual(tokenizer.vocabularySize, vocabulary.count + 1)
        XCTAssertEqual(tokenizer.decode([id("ab"), id("<|x|>"), id("Ġa")]), "ab<|x|> a")
        XCTAssertEqual(tokenizer.decode([id("ab"), id("<|x|>"), id("Ġa")], skipSpecial: true), "ab a")
    }

    func testMalformedTokenizerJSONGivesTypedErrors() throws {
        let directory = FileManager.default.temporaryDirectory
        let notObject = directory.appendingPathComponent("bpe-not-object-\(UUID().uuidString).json").path
        try Data("[1, 2]".utf8).write(to: URL(fileURLWithPath: notObject))
        let garbage = directory.appendingPathComponent("bpe-garbage-\(UUID().uuidString).json").path
        try Data("{\"model\": ".utf8).write(to: URL(fileURLWithPath: garbage))
        let empty = directory.appendingPathComponent("bpe-empty-\(UUID().uuidString).json").path
        FileManager.default.createFile(atPath: empty, contents: Data())
        defer { for path in [notObject, garbage, empty] { try? FileManager.default.removeItem(atPath: path) } }
        XCTAssertThrowsError(try BPETokenizer.loadingHuggingFaceJSON(path: notObject)) {
            XCTAssertEqual($0 as? TokenizerError, .malformedFile(path: notObject, location: "$", reason: "not a JSON object"))
        }
        XCTAssertThrowsError(try WordPieceTokenizer.loadingHuggingFaceJSON(path: empty)) {
            XCTAssertEqual($0 as? TokenizerError, .malformedFile(path: empty, location: "$", reason: "the file is empty"))
        }
        for path in [garbage, "/nonexistent/tokenizer.json"] {
            XCTAssertThrowsError(try BPETokenizer.loadingHuggingFaceJSON(path: path)) {
                guard case .malformedFile(path, "$", _)? = $0 as? TokenizerError else { return XCTFail("\($0)") }
                XCTAssertFalse("\($0)".contains("\n"))
            }
        }

        let edits: [(String, (inout [String: Any]) -> Void)] = [
            ("model.type", { $0["model"] = ["type": "WordPiece"] }),
            ("normalizer", { $0["normalizer"] = ["type": "NFKC"] }),
            ("pre_tokenizer.pretokenizers[0]", { root in
                var pre = root["pre_tokenizer"] as! [String: Any]
                var steps = pre["pretokenizers"] as! [[String: Any]]
                steps[0]["pattern"] = ["Regex": "\\s+"]
                pre["pretokenizers"] = steps
                root["pre_tokenizer"] = pre
            }),
            ("model.merges[2]", { root in
                var model = root["model"] as! [String: Any]
                var merges = model["merges"] as! [[String]]
                merges[2] = ["only one"]
                model["merges"] = merges
                root["model"] = model
            }),
            ("model", { root in
                var model = root["model"] as! [String: Any]
                var merges = model["merges"] as! [[String]]
                merges[1] = ["Ġ", "notatoken"]
                model["merges"] = merges
                root["model"] = model
            }),
            ("added_tokens[0]", { root in
                var added = root["added_tokens"] as! [[String: Any]]
                added[0]["lstrip"] = true
                root["added_tokens"] = added
            }),
        ]
        for (location, edit) in edits {
            let path = try writeTokenizerJSON(
                tokens: Self.byteAlphabet + ["ab", "Ġa", "bc"], merges: ["a b", "Ġ a", "b c"],
                added: [.init(content: "<|x|>", id: 259, special: true)], nfc: false, edit: edit)
            defer { try? FileManager.default.removeItem(atPath: path) }
            XCTAssertThrowsError(try BPETokenizer.loadingHuggingFaceJSON(path: path), location) {
                guard case .malformedFile(path, location, _)? = $0 as? TokenizerError else { return XCTFail("\(location): \($0)") }
                XCTAssertFalse("\($0)".contains("\n"), "\($0)")
            }
        }
    }

    func testGGUFWithoutTokenizerArraysGivesOneLineErrors() throws {
        func gguf(_ edit: (inout GGUFWriter) -> Void) throws -> GGUFFile {
            var writer = GGUFWriter()
            writer.set("general.architecture", .string("qwen2"))
            writer.set("tokenizer.ggml.model", .string("gpt2"))
            writer.set("tokenizer.ggml.pre", .string("qwen2"))
            writer.set("tokenizer.ggml.tokens", .array(.string, Self.byteAlphabet.map { .string($0) }))
            writer.set("tokenizer.ggml.token_type", .array(.int32, Self.byteAlphabet.map { _ in .int32(1) }))
            writer.set("tokenizer.ggml.merges", .array(.string, []))
            edit(&writer)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("bpe-\(UUID().uuidString).gguf").path
            try writer.write(to: path)
            defer { try? FileManager.default.removeItem(atPath: path) }
            return try GGUFFile(path: path)
        }
        XCTAssertNoThrow(try BPETokenizer(file: gguf { _ in }))
        let broken: [(String, (inout GGUFWriter) -> Void)] = [
            ("tokenizer.ggml.tokens", { $0.set("tokenizer.ggml.tokens", .uint32(3)) }),
            ("tokenizer.ggml.merges", { $0.set("tokenizer.ggml.merges", .string("a b")) }),
            ("tokenizer.ggml.token_type", { $0.set("tokenizer.ggml.token_type", .array(.int32, [.int32(1)])) }),
            ("tokenizer.ggml.model", { $0.set("tokenizer.ggml.model", .string("llama")) }),
            ("tokenizer.ggml.pre", { $0.set("tokenizer.ggml.pre", .string("llama3")) }),
            ("tokenizer.ggml.merges[0]", { $0.set("tokenizer.ggml.merges", .array(.string, [.string("abc")])) }),
            ("merge 0", { $0.set("tokenizer.ggml.merges", .array(.string, [.string("a zz")])) }),
            ("eos token id", { $0.set("tokenizer.ggml.eos_token_id", .uint32(999)) }),
        ]
        for (mentioned, edit) in broken {
            XCTAssertThrowsError(try BPETokenizer(file: gguf(edit)), mentioned) {
                let message = "\($0)"
                XCTAssertTrue($0 is ModelFileError, message)
                XCTAssertTrue(message.contains(mentioned), "\(mentioned): \(message)")
                XCTAssertFalse(message.contains("\n"), message)
            }
        }
    }
}
