import Tensor

/// What a teacher file says about the official procedure (`mmssr.teacher.*`, written by
/// weights/convert_mllm.py from the checkpoint and its generation_config.json). A plain Qwen2 chat GGUF has
/// none of it and gets the official defaults: it is a valid text-only teacher.
public struct TeacherConfiguration: Sendable, Equatable {
    public enum Role: String, Sendable { case scorer, styler }

    /// nil for a plain language model: it plays whichever role it is given.
    public let role: Role?
    /// The capability keyword of each `Capabilities.keys` entry in the scorer's query.
    public let capabilityKeywords: [String]
    public let systemMessage: String
    /// Rows softmax and argmax run over: the official loader resizes the embedding to `len(tokenizer)`.
    public let vocabularyLimit: Int?
    public let repetitionPenalty: Float
    public let stopTokens: Set<Int32>

    public init(role: Role?, capabilityKeywords: [String] = Capabilities.names, systemMessage: String = "You are a helpful assistant.",
                vocabularyLimit: Int? = nil, repetitionPenalty: Float = 1, stopTokens: Set<Int32>) {
        precondition(capabilityKeywords.count == Capabilities.keys.count)
        self.role = role
        self.capabilityKeywords = capabilityKeywords
        self.systemMessage = systemMessage
        self.vocabularyLimit = vocabularyLimit
        self.repetitionPenalty = repetitionPenalty
        self.stopTokens = stopTokens
    }

    /// `defaultStops`: the tokenizer's end-of-text and end-of-turn ids, used when the file names none.
    public init(file: GGUFFile, defaultStops: Set<Int32>) throws(TeacherError) {
        let path = file.path
        var role: Role?
        if let name = try? file.string("mmssr.teacher.role") {
            guard let r = Role(rawValue: name) else { throw .invalidModel("\(path): mmssr.teacher.role '\(name)' is neither scorer nor styler") }
            role = r
        }
        var keywords = Capabilities.names
        if file.value("mmssr.teacher.capability_keywords") != nil {
            do throws(ModelFileError) {
                keywords = try file.strings("mmssr.teacher.capability_keywords")
                let keys = (try? file.strings("mmssr.teacher.capability_keys")) ?? Capabilities.keys
                guard keys == Capabilities.keys, keywords.count == keys.count else {
                    throw ModelFileError(path: path, offset: nil, reason: "mmssr.teacher.capability_keys/keywords do not list the 14 capabilities in SPEC order")
                }
            } catch { throw .modelFile(error) }
        }
        var stops = defaultStops
        if case let .array(_, items)? = file.value("mmssr.teacher.eos_token_ids") {
            let ids = items.compactMap(\.intValue)
            guard ids.count == items.count, !ids.isEmpty else { throw .invalidModel("\(path): mmssr.teacher.eos_token_ids is not a list of token ids") }
            stops = Set(ids.map { Int32($0) })
        }
        self.init(role: role, capabilityKeywords: keywords,
                  systemMessage: (try? file.string("mmssr.teacher.system_message")) ?? "You are a helpful assistant.",
                  vocabularyLimit: try? file.int("mmssr.teacher.vocabulary_size"),
                  repetitionPenalty: (try? file.float("mmssr.teacher.repetition_penalty")) ?? 1,
                  stopTokens: stops)
    }
}
