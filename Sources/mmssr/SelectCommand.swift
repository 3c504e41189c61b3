import ArgumentParser

struct SelectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "select", abstract: "Select the best subset of a scored pool (mmSSR).")

    func run() throws {
        throw ValidationError("not implemented yet")
    }
}
