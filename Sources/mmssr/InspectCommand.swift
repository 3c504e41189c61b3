import Foundation
import ArgumentParser
import Scorer
import Tensor
import Vision

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print a model file's metadata and tensor table."
    )

    @Argument(help: "A GGUF model file.")
    var file: String

    @Flag(help: "Print long arrays (such as the vocabulary) in full.")
    var full = false

    func run() throws {
        let gguf: GGUFFile
        do { gguf = try GGUFFile(path: file) } catch { throw CLIError(error.description) }
        print("\(file): GGUF v\(gguf.version), \(gguf.metadata.count) metadata entries, \(gguf.tensors.count) tensors, alignment \(gguf.alignment)")
        if let arch = try? gguf.string("general.architecture") { printModelSummary(gguf, architecture: arch) }
        printTeacherSummary(gguf)
        print("\nmetadata:")
        for (key, value) in gguf.metadata {
            if full, case .array(_, let items) = value {
                print("  \(key) = [\(items.map(\.description).joined(separator: ", "))]")
            } else {
                print("  \(key) = \(value)")
            }
        }
        print("\ntensors:")
        let width = gguf.tensors.map(\.name.count).max() ?? 4
        var total = 0
        var byGroup = [String: (count: Int, bytes: Int)]()
        for t in gguf.tensors {
            let name = t.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let type = t.type.name.padding(toLength: 5, withPad: " ", startingAt: 0)
            print("  \(name)  \(type)  \(String(describing: t.shape).padding(toLength: 14, withPad: " ", startingAt: 0))  \(t.byteCount)")
            total += t.byteCount
            let group = String(t.name.prefix { $0 != "." })
            byGroup[group, default: (0, 0)].count += 1
            byGroup[group, default: (0, 0)].bytes += t.byteCount
        }
        print("\nby prefix:")
        for (group, g) in byGroup.sorted(by: { $0.key < $1.key }) {
            print("  \(group).*: \(g.count) tensors, \(formatBytes(g.bytes))")
        }
        print("total tensor data: \(formatBytes(total))")
    }
}

/// The architecture's hyper-parameters (the `ARCH.*` keys), the tokenizer's size and the tensor types.
private func printModelSummary(_ gguf: GGUFFile, architecture arch: String) {
    print("\nmodel: \(arch)")
    for (key, value) in gguf.metadata where key.hasPrefix(arch + ".") {
        print("  \(key.dropFirst(arch.count + 1)) = \(value)")
    }
    if case .array(_, let tokens)? = gguf.value("tokenizer.ggml.tokens") {
        let model = (try? gguf.string("tokenizer.ggml.model")) ?? "?"
        let merges = if case .array(_, let m)? = gguf.value("tokenizer.ggml.merges") { m.count } else { 0 }
        print("  tokenizer: \(model), \(tokens.count) tokens, \(merges) merges")
    }
    var histogram = [String: Int]()
    for t in gguf.tensors { histogram[t.type.name, default: 0] += 1 }
    print("  tensor types: " + histogram.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
}

/// What `mmssr teach` will do with a teacher file (weights/convert_mllm.py's `mmssr.teacher.*` and `siglip.*`).
private func printTeacherSummary(_ gguf: GGUFFile) {
    guard gguf.metadata.contains(where: { $0.key.hasPrefix("mmssr.teacher.") }) else { return }
    print("\nteacher:")
    let teacher: TeacherConfiguration
    do { teacher = try TeacherConfiguration(file: gguf, defaultStops: []) } catch {
        return print("  unusable: \(error)")
    }
    print("  role: \(teacher.role?.rawValue ?? "either (no mmssr.teacher.role)")")
    if let vision = try? SigLIPConfiguration(file: gguf) {
        let newline = gguf.tensors.contains { $0.name == "mm.image_newline" }
        print("  image: SigLIP \(vision.imageSize)px, patch \(vision.patchSize), \(vision.blocks) blocks x \(vision.hidden) -> "
              + "\(vision.patches + (newline ? 1 : 0)) rows per image\(newline ? " (with image_newline)" : "")")
    } else {
        print("  image: none (text-only: <image> is dropped from the prompts)")
    }
    let renamed = zip(Capabilities.names, teacher.capabilityKeywords).filter { $0 != $1 }
    if teacher.role != .styler {
        print("  capability keywords: " + (renamed.isEmpty ? "the official names (SPEC §1)"
                                           : renamed.map { "\($0) -> \($1)" }.joined(separator: ", ")))
    }
    print("  decoding: greedy, repetition penalty \(teacher.repetitionPenalty), stop ids \(teacher.stopTokens.sorted()), "
          + "over \(teacher.vocabularyLimit.map(String.init) ?? "all") vocabulary rows")
}

func formatBytes(_ n: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB"]
    var v = Double(n), u = 0
    while v >= 1024 && u < units.count - 1 { v /= 1024; u += 1 }
    return u == 0 ? "\(n) B" : String(format: "%.1f %@", v, units[u])
}
