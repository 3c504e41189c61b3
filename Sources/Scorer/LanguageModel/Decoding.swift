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

    /// Greedy decoding after `prompt`.
    public func greedy(prompt: [Int32], options: GreedyOptions, embeddings: Tensor? = nil) -> [Int32] {
        answers(prompts: [prompt], embeddings: embeddings, probe: [], options: options)[0].tokens
    }

    /// Greedy answers of prompts that share a beginning: their longest common prefix is prefilled once, their
    /// remainders run as one batch over it, then every unfinished answer advances one token per batched step.
    /// Each answer equals the one its prompt alone would get. `embeddings` are the rows negative tokens name.
    public func answers(prompts: [[Int32]], embeddings: Tensor? = nil, probe: [Int32], options: GreedyOptions) -> [Answer] {
        precondition(prompts.allSatisfy { !$0.isEmpty }, "answers: empty prompt")
        let limit = min(options.vocabularyLimit ?? config.vocabularySize, config.vocabularySize)
        let shared = Self.commonPrefixLength(prompts)
        let prefix = prefill(Array(prompts[0].prefix(shared)), embeddings: embeddings)
        let caches = prompts.map { makeCache(reserving: $0.count - shared + options.maxNewTokens) }
        var hidden = forward(zip(prompts, caches).map {
            LMSequence(tokens: Array($0[shared...]), cache: $1, prefix: prefix, embeddings: embeddings)
        })
        var lastRows = [Int](), end = 0
        for p in prompts { end += p.count - shared; lastRows.append(end - 1) }
        var probabilities = [[Double]](repeating: [], count: prompts.count), generated = [[Int32]](repeating: [], count: prompts.count)
        var active = Array(prompts.indices)
        var step = 0
        while !active.isEmpty {
            let rowLogits = logits(Tensor.concatRows(lastRows.map { hidden.rows($0 ..< $0 + 1) }))
            if step == 0 && !probe.isEmpty {
                probabilities = logSoftmax(rowLogits, limit: limit).map { lp in probe.map { Foundation.exp(lp[Int($0)]) } }
            }
            guard step < options.maxNewTokens else { break }
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
            step += 1
            guard !active.isEmpty else { break }
            hidden = forward(active.map { LMSequence(tokens: [generated[$0].last!], cache: caches[$0], prefix: prefix) })
            lastRows = Array(active.indices)
        }
        return prompts.indices.map { Answer(probabilities: probabilities[$0], tokens: generated[$0]) }
    }

    /// For each continuation, the log-probability of each of its tokens given the prompt and its earlier
    /// tokens (teacher-forced). The prompt (but its last token) is prefilled once for all of them.
    public func continuationLogProbabilities(prompt: [Int32], continuations: [[Int32]], embeddings: Tensor? = nil,
                                             vocabularyLimit: Int? = nil) -> [[Float]] {
        precondition(!prompt.isEmpty, "continuationLogProbabilities: empty prompt")
        let prefix = prefill(Array(prompt.dropLast()), embeddings: embeddings)
        let sequences = continuations.filter { !$0.isEmpty }.map { c in
            LMSequence(tokens: [prompt.last!] + c.dropLast(), cache: makeCache(reserving: c.count), prefix: prefix)
        }
        let hidden = forward(sequences)
        var row = 0
        return continuations.map { c in
            guard !c.isEmpty else { return [] }
            defer { row += c.count }
            let lp = logSoftmax(logits(hidden.rows(row ..< row + c.count)), limit: vocabularyLimit)
            return c.enumerated().map { j, t in Float(lp[j][Int(t)]) }
        }
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
