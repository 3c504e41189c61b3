import Tensor

/// The official mmSSR procedure (`model_ss.py`, SPEC §6) on one sample, with the work shared where the
/// official code repeats it: the 14 capability prompts are tokenized in full, their longest common token
/// prefix (the system turn, the image and the conversation, up to "... Language Model for") is prefilled
/// once and their remainders run as one batch; the styler's 9 candidate answers share its prompt's prefill.
extension Teacher {
    /// The scorer's view of one sample: per capability the expected score Σ d·p(d) / Σ p(d) over the digit
    /// tokens at the first answer position, and the official greedy answer.
    public struct ScorerAnswers: Sendable, Equatable {
        public let scores: [Float]
        public let responses: [String]
        /// The digit probabilities per capability (softmax over the vocabulary limit), for tests and reports.
        public let digitProbabilities: [[Double]]
    }

    /// The styler's view: its official answer, the styles it names (split at commas, stripped, deduplicated,
    /// in its order), the names outside the 9 it used, and per style the log-likelihood of an answer that
    /// starts with that style's name.
    public struct StylerAnswers: Sendable, Equatable {
        public let response: String
        public let styles: [String]
        public let unknownStyles: [String]
        public let logLikelihoods: [Float]
    }

    /// The prompt of each query for a sample. `image` is what stands for each `<image>` (the spliced
    /// embeddings' tokens), nil to show none.
    public func promptIDs(conversations: [Turn], queries: [String], image: [Int32]?) -> [[Int32]] {
        let from = conversations.first?.from ?? "human"
        return queries.map { q in
            prompts.ids(question: OfficialPrompt.question(conversation: conversations, query: q), firstTurnFrom: from, image: image)
        }
    }

    /// The 14 capability prompts, in `Capabilities.keys` order.
    public func scorerPrompts(conversations: [Turn], image: [Int32]?) -> [[Int32]] {
        promptIDs(conversations: conversations, queries: configuration.capabilityKeywords.map(OfficialPrompt.capabilityQuery), image: image)
    }

    public func stylerPrompt(conversations: [Turn], image: [Int32]?) -> [Int32] {
        promptIDs(conversations: conversations, queries: [OfficialPrompt.styleQuery], image: image)[0]
    }

    /// Runs the scorer's 14 prompts (from `scorerPrompts`); `embeddings` are the image rows they name.
    public func score(prompts: [[Int32]], embeddings: Tensor?, maxNewTokens: Int, times: Qwen2.PhaseTimes? = nil) -> ScorerAnswers {
        let answers = language.answers(prompts: prompts, embeddings: embeddings, probe: digitTokens,
                                       options: greedyOptions(maxNewTokens: maxNewTokens), times: times)
        let scores = answers.map { a -> Float in
            let total = a.probabilities.reduce(0, +)
            let weighted = a.probabilities.enumerated().reduce(0) { $0 + Double($1.offset) * $1.element }
            return total > 0 ? Float(weighted / total) : .nan
        }
        return ScorerAnswers(scores: scores, responses: answers.map { officialResponse($0.tokens) },
                             digitProbabilities: answers.map(\.probabilities))
    }

    /// Runs the styler's prompt (from `stylerPrompt`): its greedy answer and the 9 names' likelihoods over one
    /// prefill.
    public func style(prompt: [Int32], embeddings: Tensor?, maxNewTokens: Int, times: Qwen2.PhaseTimes? = nil) -> StylerAnswers {
        let (generated, candidates) = language.answerWithCandidates(
            prompt: prompt, candidates: Styles.names.map { tokenizer.encode($0) }, embeddings: embeddings,
            options: greedyOptions(maxNewTokens: maxNewTokens), times: times)
        let response = officialResponse(generated)
        var named = [String]()
        for part in response.split(separator: ",", omittingEmptySubsequences: false) {
            let name = PythonText.strip(String(part))
            if !named.contains(name) { named.append(name) }
        }
        return StylerAnswers(response: response, styles: named.filter(Styles.names.contains),
                             unknownStyles: named.filter { !$0.isEmpty && !Styles.names.contains($0) },
                             logLikelihoods: candidates.map { $0.reduce(0, +) })
    }
}
