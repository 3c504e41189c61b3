import Foundation
import Tensor

/// What the language model is asked: greedy answers, log-probabilities of given continuations, next-token
/// distributions and perplexity. Prompts that share a prefix prefill it once; their remainders run as one batch
/// over the cached prefix, and every result equals the one an independent full pass gives.
extension Qwen2 {
    /// Greedy decoding after `prompt`: up to `maxNewTokens` tokens, stopping after a stop token (kept in the
    /// output). `repetitionPenalty` acts as Hugging Face's: the logit of every token generated so far is divided
    /// by it when positive, multiplied when negative. argmax runs over the first `vocabularyLimit` rows.
    public func greedy(prompt: [Int32], maxNewTokens: Int, stopTokens: Set<Int32> = [], repetitionPenalty: Float = 1,
                       vocabularyLimit: Int? = nil) -> [Int32] {
        precondition(!prompt.isEmpty, "greedy: empty prompt")
        let cache = makeCache(reserving: prompt.count + maxNewTokens)
        var hidden = forward([LMSequence(tokens: prompt, cache: cache)])
        var generated = [Int32]()
        let limit = min(vocabularyLimit ?? config.vocabularySize, config.vocabularySize)
        while generated.count < maxNewTokens {
            var row = logits(hidden.rows(hidden.rows - 1 ..< hidden.rows)).data
            if repetitionPenalty != 1 {
                for t in Set(generated) {
                    let i = Int(t)
                    row[i] = row[i] > 0 ? row[i] / repetitionPenalty : row[i] * repetitionPenalty
                }
            }
            var best = 0
            for i in 1..<limit where row[i] > row[best] { best = i }
            let token = Int32(best)
            generated.append(token)
            if stopTokens.contains(token) || generated.count == maxNewTokens { break }
            hidden = forward([LMSequence(tokens: [token], cache: cache)])
        }
        return generated
    }

    /// For each continuation, the log-probability of each of its tokens given the prompt and its earlier
    /// tokens (teacher-forced). The prompt (but its last token) is prefilled once for all of them.
    public func continuationLogProbabilities(prompt: [Int32], continuations: [[Int32]], vocabularyLimit: Int? = nil) -> [[Float]] {
        precondition(!prompt.isEmpty, "continuationLogProbabilities: empty prompt")
        let prefix = prefill(Array(prompt.dropLast()))
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
        precondition(prompts.allSatisfy { !$0.isEmpty }, "nextTokenProbabilities: empty prompt")
        let shared = Self.commonPrefixLength(prompts)
        let prefix = prefill(Array(prompts[0].prefix(shared)))
        let sequences = prompts.map { LMSequence(tokens: Array($0[shared...]), cache: makeCache(reserving: $0.count - shared), prefix: prefix) }
        let hidden = forward(sequences)
        var last = [Int](), end = 0
        for s in sequences { end += s.tokens.count; last.append(end - 1) }
        let rows = Tensor.concatRows(last.map { hidden.rows($0 ..< $0 + 1) })
        return logSoftmax(logits(rows), limit: vocabularyLimit).map { lp in tokens.map { Foundation.exp(lp[Int($0)]) } }
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
    func prefill(_ tokens: [Int32]) -> KVCache {
        let cache = makeCache(reserving: max(1, tokens.count))
        if !tokens.isEmpty { _ = forward([LMSequence(tokens: tokens, cache: cache)]) }
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
