/// Why a tokenizer could not be built from its vocabulary or configuration file.
public enum TokenizerError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingToken(String)
    case duplicateToken(String)
    case invalidConfiguration(String)
    /// Line `index` (0-based) of a BPE merges list is not two tokens of the vocabulary whose join is one too.
    case invalidMerge(index: Int, merge: String, reason: String)
    /// A tokenizer file that is not what its format says, with where (a JSON path or GGUF key) and why.
    case malformedFile(path: String, location: String, reason: String)

    public var description: String {
        switch self {
        case .missingToken(let token): "token \(token.debugDescription) is not in the vocabulary"
        case .duplicateToken(let token): "token \(token.debugDescription) appears twice in the vocabulary"
        case .invalidConfiguration(let reason): reason
        case .invalidMerge(let index, let merge, let reason): "merge \(index) \(merge.debugDescription): \(reason)"
        case .malformedFile(let path, let location, let reason): "\(path): \(location): \(reason)"
        }
    }
}
