/// Why a tokenizer could not be built from its vocabulary or configuration file.
public enum TokenizerError: Error, Equatable, Sendable {
    case missingToken(String)
    case duplicateToken(String)
    case invalidConfiguration(String)
}
