import Dispatch
import Foundation
import Tensor

/// What the language model is asked: greedy answers, log-probabilities of given continuations, next-token
/// distributions and perplexity. Prompts that share a prefix prefill it once; their remainders run as one batch
/// over the cached prefix, and every result equals the one an independent full pass gives.
extension Qwen2 {
    /// How greedy decoding picks and stops: Hugging Face's `repetition_penalty` (the logit of every token
    /// generated so far divided by it when positive, multiplied when negative; the prompt is not penalised, as
    /// with generation from input embeddings), stop tokens (kept in the output) and the rows argmax and
    /// softmax run over (a checkpoint resized to its tokenizer keeps more rows than it uses).
    public struct GreedyOptions: Sendable {
        public var maxNewTokens: Int
        public var stopTokens: Set<Int32>
        public var repetitionPenalty: Float
        public var vocabularyLimit: Int?

        public init(maxNewTokens: Int, stopTokens: Set<Int32> = [], repetitionPenalty: Float = 1, vocabularyLimit: Int? = nil) {
            self.maxNewTokens = maxNewTokens
            self.stopTokens = stopTokens
            self.repetitionPenalty = repetitionPenalty
            self.vocabularyLimit = vocabularyLimit
        }
    }

    /// One prompt's answer: the probabilities of the probed tokens as its first answer token (softmax over the
    /// vocabulary limit) and its greedy continuation.
    public struct Answer: Sendable, Equatable {
        public let probabilities: [Double]
        public let tokens: [Int32]
    }

    /// Seconds spent per phase of `answers` / `answerWithCandidates`, added up over calls (benchmarks).
    public final class PhaseTimes {
        /// The shared prefix.
        public var prefill = 0.0
        /// The prompts' own remainders (and teacher-forced candidates), one batch.
        public var batch = 0.0
        /// Greedy steps after the first answer token.
        public var decode = 0.0

        public init() {}
    }

    /// Greedy decoding after `prompt`.
    public func greedy(prompt: [Int32], options: GreedyOptions, embeddings: Tensor? = nil) -> [Int32] {
        answers(prompts: [prompt], embeddings: embeddings, probe: [], options: options)[0].tokens
    }

    /// Greedy answers of prompts that share a beginning: their longest common prefix is prefilled once, their
    /// remainders run as one batch over it, then every unfinished answer advances one token per batched step.
    /// Each answer equals the one its prompt alone would get. `embeddings` are the rows negative tokens name.
    public func answers(prompts: [[Int32]], embeddings: Tensor? = nil, probe: [Int32], options: GreedyOptions,
                        times: PhaseTimes? = nil) -> [Answer] {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "answers: empty prompt")
        var t = Self.now()
        let shared = Self.commonPrefixLength(prompts)
        let prefix = prefill(Array(prompts[0].prefix(shared)), embeddings: embeddings)
        times?.prefill += Self.lap(&t)
        let caches = prompts.map { makeCache(reserving: $0.count - shared + options.maxNewTokens) }
        let hidden = forward(zip(prompts, caches).map {
            LMSequence(tokens: Array($0[shared...]), cache: $1, prefix: prefix, embeddings: embeddings)
        })
        var lastRows = [Int](), end = 0
        for p in prompts { end += p.count - shared; lastRows.append(end - 1) }
        let first = logits(Tensor.concatRows(lastRows.map { hidden.rows($0 ..< $0 + 1) }))
        let probabilities = probe.isEmpty ? Array(repeating: [], count: prompts.count)
            : logSoftmax(first, limit: options.vocabularyLimit).map { lp in probe.map { Foundation.exp(lp[Int($0)]) } }
        times?.batch += Self.lap(&t)
        let generated = decodeGreedy(firstLogits: first, caches: caches, prefix: prefix, options: options)
        times?.decode += Self.lap(&t)
        return zip(probabilities, generated).map { Answer(probabilities: $0, tokens: $1) }
    }

    /// The greedy answer after `prompt` and, over the same prefill, the log-probabilities of each candidate's
    /// tokens as the answer (teacher-forced): what the styler asks.
    public func answerWithCandidates(prompt: [Int32], candidates: [[Int32]], embeddings: Tensor? = nil, options: GreedyOptions,
                                     times: PhaseTimes? = nil) -> (answer: [Int32], candidates: [[Float]]) {
        precondition(!prompt.isEmpty && candidates.allSatisfy { !$0.isEmpty }, "answerWithCandidates: empty prompt or candidate")
        var t = Self.now()
        let prefix = prefill(Array(prompt.dropLast()), embeddings: embeddings)
        times?.prefill += Self.lap(&t)
        let answerCache = makeCache(reserving: 1 + options.maxNewTokens)
        let sequences = [LMSequence(tokens: [prompt.last!], cache: answerCache, prefix: prefix, embeddings: embeddings)]
            + candidates.map { LMSequence(tokens: [prompt.last!] + $0.dropLast(), cache: makeCache(reserving: $0.count), prefix: prefix,
                                          embeddings: embeddings) }
        let hidden = forward(sequences)
        var row = 1
        let scored = candidates.map { c -> [Float] in
            defer { row += c.count }
            let lp = logSoftmax(logits(hidden.rows(row ..< row + c.count)), limit: options.vocabularyLimit)
            return c.enumerated().map { j, token in Float(lp[j][Int(token)]) }
        }
        let first = logits(hidden.rows(0 ..< 1))
        times?.batch += Self.lap(&t)
        let answer = decodeGreedy(firstLogits: first, caches: [answerCache], prefix: prefix, options: options)[0]
        times?.decode += Self.lap(&t)
        return (answer, scored)
    }

    /// Greedy continuation of sequences whose next-token logits are `firstLogits` (one row each), every
    /// unfinished one advancing a token per batched step.
    private func decodeGreedy(firstLogits: Tensor, caches: [KVCache], prefix: KVCache, options: GreedyOptions) -> [[Int32]] {
        let limit = min(options.vocabularyLimit ?? config.vocabularySize, config.vocabularySize)
        var generated = [[Int32]](repeating: [], count: caches.count)
        var active = Array(caches.indices)
        var rowLogits = firstLogits
        while !active.isEmpty && options.maxNewTokens > 0 {
            var next = [Int]()
            for (r, i) in active.enumerated() {
                var row = Array(rowLogits.data[r * rowLogits.cols ..< r * rowLogits.cols + limit])
                if options.repetitionPenalty != 1 {
                    for t in Set(generated[i]) {
                        let j = Int(t)
                        row[j] = row[j] > 0 ? row[j] / options.repetitionPenalty : row[j] * options.repetitionPenalty
                    }
                }
                var best = 0
                for j in 1..<limit where row[j] > row[best] { best = j }
                generated[i].append(Int32(best))
                if !options.stopTokens.contains(Int32(best)) && generated[i].count < options.maxNewTokens { next.append(i) }
            }
            active = next
            guard !active.isEmpty else { break }
            rowLogits = logits(forward(active.map { LMSequence(tokens: [generated[$0].last!], cache: caches[$0], prefix: prefix) }))
        }
        return generated
    }

    private static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    private static func lap(_ t: inout Double) -> Double {
        let n = now()
        defer { t = n }
        return n - t
    }

    /// For each continuation, the log-probability of each of its tokens given the prompt and its earlier
    /// tokens (teacher-forced). The prompt (but its last token) is prefilled once for all of them.
    public func continuationLogProbabilities(prompt: [Int32], continuations: [[Int32]], embeddings: Tensor? = nil,
                                             vocabularyLimit: Int? = nil) -> [[Float]] {
        let scored = answerWithCandidates(prompt: prompt, candidates: continuations.filter { !$0.isEmpty }, embeddings: embeddings,
                                          options: GreedyOptions(maxNewTokens: 0, vocabularyLimit: vocabularyLimit)).candidates
        var next = scored.makeIterator()
        return continuations.map { $0.isEmpty ? [] : next.next()! }
    }

    /// For each prompt, the probabilities of `tokens` as its next token, normalised over the first
    /// `vocabularyLimit` rows. The prompts' longest common prefix is prefilled once.
    public func nextTokenProbabilities(prompts: [[Int32]], over tokens: [Int32], vocabularyLimit: Int? = nil) -> [[Double]] {
        answers(prompts: prompts, probe: tokens, options: GreedyOptions(maxNewTokens: 0, vocabularyLimit: vocabularyLimit))
            .map(\.probabilities)
    }

    /// Negative log-likelihood of tokens 1..<n of `ids`, each given the tokens before it.
    public func negativeLogLikelihoods(_ ids: [Int32]) -> [Double] {
        guard ids.count > 1 else { return [] }
        let hidden = forward([LMSequence(tokens: Array(ids.dropLast()), cache: makeCache(reserving: ids.count))])
        var out = [Double]()
        // Logits in blocks of rows: a whole window's [n, vocabulary] would be hundreds of MB.
        for start in stride(from: 0, to: hidden.rows, by: 64) {
            let end = min(hidden.rows, start + 64)
            let lp = logSoftmax(logits(hidden.rows(start ..< end)), limit: nil)
            for r in start..<end { out.append(-lp[r - start][Int(ids[r + 1])]) }
        }
        return out
    }

    /// Tokens every prompt shares, leaving each at least one token of its own (its last row gives its answer).
    static func commonPrefixLength(_ prompts: [[Int32]]) -> Int {
        guard let first = prompts.first else { return 0 }
        var n = prompts.map { $0.count - 1 }.min() ?? 0
        for p in prompts.dropFirst() {
            var i = 0
            while i < n && p[i] == first[i] { i += 1 }
            n = i
        }
        return max(0, n)
    }

    /// A cache holding `tokens` (empty when there are none), to be shared as a prefix.
    func prefill(_ tokens: [Int32], embeddings: Tensor? = nil) -> KVCache {
        let cache = makeCache(reserving: max(1, tokens.count))
        if !tokens.isEmpty { _ = forward([LMSequence(tokens: tokens, cache: cache, embeddings: embeddings)]) }
        return cache
    }

    /// Row-wise log-softmax in float64 over the first `limit` columns.
    func logSoftmax(_ logits: Tensor, limit: Int?) -> [[Double]] {
        let n = min(limit ?? logits.cols, logits.cols)
        return (0..<logits.rows).map { r in
            let row = logits.data[r * logits.cols ..< r * logits.cols + n].map(Double.init)
            let m = row.max() ?? 0
            let lse = m + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - m) })
            return row.map { $0 - lse }
        }
    }
}
