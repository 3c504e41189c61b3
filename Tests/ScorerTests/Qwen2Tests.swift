import Foundation
import TestSupport
import XCTest
@testable import Scorer
@testable import Tensor

/// The Qwen2 decoder on the real Qwen2.5-Coder-0.5B GGUF against transformers fp32
/// (tools/make_qwen2_reference.py), and the runtime's shared-prefix and batch properties.
final class Qwen2Tests: XCTestCase {
    nonisolated(unsafe) static var models: [Bool: Qwen2] = [:]

    func model(fp32: Bool) throws -> Qwen2 {
        if let m = Self.models[fp32] { return m }
        let m = try Qwen2(file: try GGUFFile(path: try ModelPaths.require(ModelPaths.qwen2)), fp32: fp32)
        Self.models[fp32] = m
        return m
    }

    func reference() throws -> [String: Any] {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/qwen2_reference.json", withExtension: nil))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func ints(_ v: Any?) -> [Int32] { (v as! [NSNumber]).map { Int32($0.intValue) } }

    func testFP32LogitsPerplexityAndTop1MatchTransformers() throws {
        let ref = try reference(), m = try model(fp32: true)
        let ids = ints(ref["text_ids"])
        let hidden = m.forward([LMSequence(tokens: ids, cache: m.makeCache(reserving: ids.count))])
        let positions = (ref["positions"] as! [NSNumber]).map(\.intValue)
        for (p, encoded) in zip(positions, ref["logits_f16"] as! [String]) {
            let bytes = try XCTUnwrap(Data(base64Encoded: encoded))
            let expected = bytes.withUnsafeBytes { raw in (0..<(bytes.count / 2)).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) } }
            let got = m.logits(hidden.rows(p ..< p + 1)).data
            XCTAssertGreaterThanOrEqual(cosine(got, expected), 0.99999, "logits at position \(p)")
            XCTAssertEqual(argmax(got), argmax(expected), "top-1 at position \(p)")
        }
        let top1 = ints(ref["top1"])
        var agree = 0
        for start in stride(from: 0, to: ids.count, by: 64) {
            let logits = m.logits(hidden.rows(start ..< min(ids.count, start + 64)))
            for r in 0..<logits.rows where argmax(logits.row(r)) == Int(top1[start + r]) { agree += 1 }
        }
        XCTAssertEqual(agree, ids.count, "top-1 agreement over all positions")
        let ppl = exp(m.negativeLogLikelihoods(ids).reduce(0, +) / Double(ids.count - 1))
        let refPPL = (ref["perplexity"] as! NSNumber).doubleValue
        XCTAssertLessThan(abs(ppl / refPPL - 1), 1e-3, "perplexity \(ppl) vs transformers \(refPPL)")
    }

    func testFP32GreedyChatContinuationsMatchTransformers() throws {
        let ref = try reference(), m = try model(fp32: true)
        let file = try GGUFFile(path: try ModelPaths.require(ModelPaths.qwen2))
        let tokenizer = try BPETokenizer(file: file), template = ChatTemplate(file: file)
        for chat in ref["chats"] as! [[String: Any]] {
            let prompt = ints(chat["ids"]), expected = ints(chat["generated"])
            XCTAssertEqual(tokenizer.encode(template.render(user: chat["prompt"] as! String)), prompt, "chat template ids")
            let got = m.greedy(prompt: prompt, options: .init(maxNewTokens: expected.count))
            // Compare up to the first step whose reference top-2 margin is too close to call in fp32.
            let margins = (chat["margins"] as! [NSNumber]).map(\.floatValue)
            let clear = margins.firstIndex { $0 < 1e-3 } ?? expected.count
            XCTAssertEqual(Array(got.prefix(clear)), Array(expected.prefix(clear)), "greedy continuation of \(chat["prompt"]!)")
        }
    }

    func testInt8PerplexityAndTop1FollowFP32() throws {
        let ref = try reference()
        let ids = ints(ref["text_ids"])
        let f = try model(fp32: true), q = try model(fp32: false)
        let nf = f.negativeLogLikelihoods(ids), nq = q.negativeLogLikelihoods(ids)
        let pf = exp(nf.reduce(0, +) / Double(nf.count)), pq = exp(nq.reduce(0, +) / Double(nq.count))
        XCTAssertLessThan(abs(pq / pf - 1), 0.015, "int8 perplexity \(pq) vs fp32 \(pf)")
        let hf = f.forward([LMSequence(tokens: ids, cache: f.makeCache(reserving: ids.count))])
        let hq = q.forward([LMSequence(tokens: ids, cache: q.makeCache(reserving: ids.count))])
        var agree = 0
        for start in stride(from: 0, to: ids.count, by: 64) {
            let r = start ..< min(ids.count, start + 64)
            let lf = f.logits(hf.rows(r)), lq = q.logits(hq.rows(r))
            for i in 0..<lf.rows where argmax(lf.row(i)) == argmax(lq.row(i)) { agree += 1 }
        }
        // Issue 15's bar. Per-token int8 alone gave 488/512 (95.3%); with each block matrix's 8 calibrated
        // outlier channels in fp32 (Qwen2Calibration): 497/512 on Sapphire Rapids and 496 (below the bar) on
        // Zen 3, whose fp32 kernels round differently; with the head's outlier channels too: 501/512 (97.9%)
        // on Zen 3.
        XCTAssertGreaterThanOrEqual(Double(agree) / Double(ids.count), 0.97, "int8 top-1 agreement with fp32")
        print("Qwen2 0.5B perplexity on the reference text: fp32 \(pf), int8 \(pq); int8 top-1 agreement \(agree)/\(ids.count)")
    }

    /// A tiny random model: continuations over a shared prefix equal full passes, and no continuation's result
    /// depends on what else shares its batch.
    func testSharedPrefixEqualsFullPassesAndBatchesDoNotMatter() {
        let c = Qwen2Configuration(layers: 2, hidden: 64, intermediate: 96, heads: 4, kvHeads: 2, contextLength: 256,
                                   ropeTheta: 10000, rmsNormEps: 1e-6, vocabularySize: 97, tiedEmbedding: true)
        for fp32 in [true, false] {
            let m = Qwen2(randomWeights: c, fp32: fp32, seed: 7)
            let prompt: [Int32] = (0..<40).map { Int32(($0 * 13) % 97) }
            let continuations: [[Int32]] = [[5, 6, 7], [8], [9, 10, 11, 12, 13], [1, 2]]
            let shared = m.continuationLogProbabilities(prompt: prompt, continuations: continuations)
            for (i, cont) in continuations.enumerated() {
                let full = prompt + cont
                let nll = m.negativeLogLikelihoods(full).suffix(cont.count)
                for (a, b) in zip(shared[i], nll) {
                    XCTAssertLessThan(abs(Double(a) + b), 1e-5 * max(1, abs(b)), "fp32 \(fp32): continuation \(i)")
                }
                let alone = m.continuationLogProbabilities(prompt: prompt, continuations: [cont])
                XCTAssertEqual(alone[0], shared[i], "fp32 \(fp32): continuation \(i) alone vs in a batch of \(continuations.count)")
            }
            let prompts: [[Int32]] = continuations.map { prompt + $0 }
            let batch = m.nextTokenProbabilities(prompts: prompts, over: [0, 1, 2, 3, 4, 5])
            for (i, p) in prompts.enumerated() {
                XCTAssertEqual(m.nextTokenProbabilities(prompts: [p], over: [0, 1, 2, 3, 4, 5])[0].count, 6)
                let single = m.nextTokenProbabilities(prompts: [p, prompt + [96]], over: [0, 1, 2, 3, 4, 5])[0]
                for (a, b) in zip(batch[i], single) { XCTAssertLessThan(abs(a - b), 1e-6 * max(1e-3, b), "fp32 \(fp32): prompt \(i)") }
            }
        }
    }

    /// Batched greedy answers over a shared prefix equal each prompt's answer alone (tokens identical, probed
    /// probabilities within float noise), with a repetition penalty; rows spliced in by negative tokens act as
    /// the vocabulary rows they copy.
    func testBatchedAnswersEqualSingleAnswersAndEmbeddingsSplice() {
        let c = Qwen2Configuration(layers: 2, hidden: 64, intermediate: 96, heads: 4, kvHeads: 2, contextLength: 256,
                                   ropeTheta: 10000, rmsNormEps: 1e-6, vocabularySize: 97, tiedEmbedding: true)
        for fp32 in [true, false] {
            let m = Qwen2(randomWeights: c, fp32: fp32, seed: 11)
            let spliced: [Int32] = [3, 30, 60, 90]
            let rows = Tensor.concatRows(spliced.map { m.embed([LMSequence(tokens: [$0], cache: m.makeCache())]) })
            let head: [Int32] = (0..<20).map { Int32(($0 * 17) % 97) }
            let withImage = head + LMSequence.embeddingTokens(rows: 4) + [7, 8]
            let plain = head + spliced + [7, 8]
            let prompts = [withImage + [40, 41], withImage + [42], withImage + [43, 44, 45]]
            let options = Qwen2.GreedyOptions(maxNewTokens: 6, stopTokens: [5], repetitionPenalty: 1.3, vocabularyLimit: 90)
            let probe: [Int32] = [0, 1, 2, 3, 4, 5]
            let batch = m.answers(prompts: prompts, embeddings: rows, probe: probe, options: options)
            for (i, p) in prompts.enumerated() {
                let alone = m.answers(prompts: [p], embeddings: rows, probe: probe, options: options)[0]
                XCTAssertEqual(batch[i].tokens, alone.tokens, "fp32 \(fp32): prompt \(i) greedy")
                for (a, b) in zip(batch[i].probabilities, alone.probabilities) {
                    XCTAssertLessThan(abs(a - b), 1e-6 * max(1e-3, b), "fp32 \(fp32): prompt \(i) probabilities")
                }
                let textual = Array(plain + p[withImage.count...])
                let asTokens = m.answers(prompts: [textual], probe: probe, options: options)[0]
                XCTAssertEqual(asTokens.tokens, alone.tokens, "fp32 \(fp32): spliced rows vs their tokens")
                XCTAssertFalse(alone.tokens.contains { $0 >= 90 }, "argmax beyond the vocabulary limit")
                let styled = m.answerWithCandidates(prompt: p, candidates: [[1, 2], [60]], embeddings: rows, options: options)
                XCTAssertEqual(styled.answer, alone.tokens, "fp32 \(fp32): the answer beside teacher-forced candidates")
            }
            XCTAssertEqual(m.greedy(prompt: prompts[0], options: options, embeddings: rows), batch[0].tokens)
        }
    }

    func testBadFilesGiveOneLineErrors() throws {
        let path = NSTemporaryDirectory() + "mmssr-qwen2-\(getpid()).gguf"
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        var w = GGUFWriter()
        w.set("general.architecture", .string("llama"))
        try w.write(to: path)
        XCTAssertThrowsError(try Qwen2(file: try GGUFFile(path: path))) { e in
            XCTAssertTrue("\(e)".contains("not a Qwen2"), "\(e)")
            XCTAssertFalse("\(e)".contains("\n"))
        }
        w = GGUFWriter()
        w.set("general.architecture", .string("qwen2"))
        w.addTensor("token_embd.weight", shape: [10, 8], floats: [Float](repeating: 0, count: 80))
        try w.write(to: path)
        XCTAssertThrowsError(try Qwen2(file: try GGUFFile(path: path))) { e in XCTAssertTrue("\(e)".contains("qwen2.block_count"), "\(e)") }
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? 0 }
}
