import ArgumentParser
import Foundation
import Scorer
import Tensor

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a language model's byte-level BPE tokenizer (or decode ids).",
        discussion: """
        Prints one JSON array of ids per TEXT. With --jsonl, reads lines {"text": ...} and writes lines \
        {"ids": [...]}. With --decode the reverse: each TEXT is a JSON array of ids and is printed as a JSON \
        string; with --jsonl, lines {"ids": [...]} become lines {"text": ...}. The model is a GGUF with \
        tokenizer.ggml.* metadata or a Hugging Face tokenizer.json.
        """)

    @Option(help: "A GGUF language model or a Hugging Face tokenizer.json.")
    var model: String

    @Option(help: "Read JSON lines from this file ('-' for standard input) instead of TEXT arguments.")
    var jsonl: String?

    @Flag(help: "Decode ids to text instead of encoding text.")
    var decode = false

    @Flag(help: "Tokenize special tokens in the text as plain text (encoding).")
    var noSpecial = false

    @Flag(help: "Leave special tokens out of the text (decoding).")
    var skipSpecial = false

    @Flag(help: "Print to standard error the bytes and tokens per second of the tokenizer alone (no JSON, no I/O).")
    var time = false

    @Argument(help: "Texts to encode (or JSON arrays of ids to decode).")
    var texts: [String] = []

    func validate() throws {
        guard (jsonl == nil) != texts.isEmpty else { throw ValidationError("give either TEXT arguments or --jsonl, not both") }
    }

    func run() throws {
        let tokenizer = try Self.loadTokenizer(model)
        var encoder = tokenizer.makeEncoder()
        let output = FileHandle.standardOutput
        var textBytes = 0
        var tokenCount = 0
        var seconds = 0.0
        func convert(_ input: String, location: String) throws -> String {
            if decode {
                guard let ids = Self.ids(fromJSON: input) else { throw CLIError("\(location): not a JSON array of token ids") }
                let start = DispatchTime.now().uptimeNanoseconds
                let text = tokenizer.decode(ids, skipSpecial: skipSpecial)
                seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                textBytes += text.utf8.count
                tokenCount += ids.count
                return Self.json(text)
            }
            let start = DispatchTime.now().uptimeNanoseconds
            let ids = encoder.encode(input, allowSpecial: !noSpecial)
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            textBytes += input.utf8.count
            tokenCount += ids.count
            return Self.json(ids)
        }
        defer {
            if time {
                let megabytes = Double(textBytes) / 1e6
                let line = String(
                    format: "%@ %.3f MB, %d tokens in %.3f s: %.2f MB/s, %.0f tokens/s\n", decode ? "decoded" : "encoded",
                    megabytes, tokenCount, seconds, megabytes / max(seconds, 1e-9), Double(tokenCount) / max(seconds, 1e-9))
                FileHandle.standardError.write(Data(line.utf8))
            }
        }
        guard let jsonl else {
            for (index, text) in texts.enumerated() { output.write(Data((try convert(text, location: "TEXT \(index + 1)") + "\n").utf8)) }
            return
        }
        let inputKey = decode ? "ids" : "text"
        let outputKey = decode ? "text" : "ids"
        var lineNumber = 0
        var buffer = ""
        try Self.forEachLine(of: jsonl) { line in
            lineNumber += 1
            let location = "\(jsonl):\(lineNumber)"
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let value = object[inputKey] else {
                throw CLIError("\(location): not a JSON object with \"\(inputKey)\"")
            }
            let input: String
            if decode {
                guard let data = try? JSONSerialization.data(withJSONObject: value), let text = String(data: data, encoding: .utf8) else {
                    throw CLIError("\(location): \"ids\" is not an array of token ids")
                }
                input = text
            } else {
                guard let text = value as? String else { throw CLIError("\(location): \"text\" is not a string") }
                input = text
            }
            buffer += "{\"\(outputKey)\": \(try convert(input, location: location))}\n"
            if buffer.utf8.count >= 1 << 16 {
                output.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        output.write(Data(buffer.utf8))
    }

    static func loadTokenizer(_ path: String) throws -> BPETokenizer {
        guard FileManager.default.fileExists(atPath: path) else { throw CLIError("\(path): no such file") }
        if path.hasSuffix(".json") {
            do throws(TokenizerError) { return try BPETokenizer.loadingHuggingFaceJSON(path: path) } catch { throw CLIError(error.description) }
        }
        do throws(ModelFileError) {
            let file = try GGUFFile(path: path)
            guard file.value("tokenizer.ggml.model") != nil else {
                throw ModelFileError(path: path, offset: nil, reason: "no tokenizer (metadata tokenizer.ggml.model is missing)")
            }
            return try BPETokenizer(file: file)
        } catch {
            throw CLIError(error.description)
        }
    }

    private static func ids(fromJSON text: String) -> [Int32]? {
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any] else { return nil }
        var ids: [Int32] = []
        for item in array {
            guard let number = item as? NSNumber, let id = Int32(exactly: number.doubleValue) else { return nil }
            ids.append(id)
        }
        return ids
    }

    private static func json(_ ids: [Int32]) -> String {
        "[" + ids.map(String.init).joined(separator: ", ") + "]"
    }

    private static func json(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// Calls `body` on each non-empty line of a file or of standard input ("-").
    private static func forEachLine(of path: String, _ body: (String) throws -> Void) throws {
        let handle: FileHandle
        if path == "-" {
            handle = .standardInput
        } else {
            guard let file = FileHandle(forReadingAtPath: path) else { throw CLIError("\(path): cannot be opened") }
            handle = file
        }
        var pending: [UInt8] = []
        while true {
            let chunk = handle.readData(ofLength: 1 << 20)
            pending += chunk
            var lineStart = 0
            while let newline = pending[lineStart...].firstIndex(of: 0x0A) {
                if newline > lineStart { try body(String(decoding: pending[lineStart..<newline], as: UTF8.self)) }
                lineStart = newline + 1
            }
            pending.removeSubrange(0..<lineStart)
            if chunk.isEmpty { break }
        }
        if !pending.isEmpty { try body(String(decoding: pending, as: UTF8.self)) }
    }
}
