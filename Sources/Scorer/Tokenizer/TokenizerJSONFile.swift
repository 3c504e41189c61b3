import Foundation

/// The top-level object of a Hugging Face `tokenizer.json`, for the WordPiece and BPE loaders alike.
enum TokenizerJSONFile {
    static func root(path: String) throws(TokenizerError) -> [String: Any] {
        func fail(_ reason: String) -> TokenizerError { .malformedFile(path: path, location: "$", reason: reason) }
        // An empty file is refused before Data(contentsOf:), which leaks its 4 KB read buffer on one (found by
        // fuzzing: swift-foundation's readBytesFromFile).
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw fail("the file is empty") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw fail("cannot be read as JSON (\((error as NSError).localizedDescription))")
        }
        guard let root = object as? [String: Any] else { throw fail("not a JSON object") }
        return root
    }
}
