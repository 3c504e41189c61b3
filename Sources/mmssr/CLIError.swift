import ArgumentParser

/// A one-line failure for the user: printed as `Error: <message>` with a non-zero exit status.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
