import Glibc

/// The official mmSSR output layout: a folder with `{capability key}.jsonl` and `style.jsonl`, lines
/// `{"idx": N, "pred_response": "..."}`. A teacher's rows carry the official answers verbatim; otherwise scores
/// are rounded integers as text and styles official names, comma-separated. Error rows have no line (the
/// official pipeline has no notion of them).
public final class MMSSRFolderWriter: ScoreTableWriter {
    private let capabilitySinks: [ByteSink]
    private let styleSink: ByteSink

    public init(directory: String) throws(TableError) {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .io(path: directory, reason: "cannot create folder: \(String(cString: strerror(errno)))")
        }
        var sinks: [ByteSink] = []
        for key in Capabilities.keys { sinks.append(try ByteSink(path: directory + "/\(key).jsonl")) }
        capabilitySinks = sinks
        styleSink = try ByteSink(path: directory + "/style.jsonl")
    }

    public func write(_ row: ScoreRow) throws(TableError) {
        guard row.status == .ok else { return }
        if row.responses.count == capabilitySinks.count + 1 {
            func line(_ response: String) -> String { "{\"idx\": \(row.idx), \"pred_response\": \(jsonString(response))}\n" }
            for (c, sink) in capabilitySinks.enumerated() where row.scores[c] != nil { try sink.write(line(row.responses[c])) }
            if row.styleLogits.contains(where: { $0 != nil }) { try styleSink.write(line(row.responses[capabilitySinks.count])) }
            return
        }
        for (sink, score) in zip(capabilitySinks, row.scores) {
            guard let score, score.isFinite else { continue }
            let level = Int(score.rounded()).clamped(0, 5)
            try sink.write("{\"idx\": \(row.idx), \"pred_response\": \"\(level)\"}\n")
        }
        try styleSink.write("{\"idx\": \(row.idx), \"pred_response\": \(jsonString(row.styles))}\n")
    }

    public func finish() throws(TableError) {
        for sink in capabilitySinks { try sink.close() }
        try styleSink.close()
    }
}

/// Reads an official mmSSR folder back as score rows sorted by idx. Scores are held as Float32 columns
/// (NaN = no line) rather than rows, so a folder of millions of samples stays compact.
/// Rows carry no image_source: the caller takes it from the pool.
public final class MMSSRFolderReader: ScoreTableReader {
    private var slotOfIdx: [Int64: Int] = [:]
    private var idxOfSlot: [Int64] = []
    private var scores: [[Float]]
    private var styles: [String] = []
    private var order: [Int] = []
    private var cursor = 0

    public init(directory: String) throws(TableError) {
        scores = Array(repeating: [], count: Capabilities.keys.count)
        var found = false
        for (c, key) in Capabilities.keys.enumerated() {
            let path = directory + "/\(key).jsonl"
            guard access(path, F_OK) == 0 else { continue }
            found = true
            try read(path) { (slot, text, location) throws(TableError) in
                guard let level = Self.level(text) else {
                    throw .malformed(path: path, location: location, reason: "pred_response \(jsonString(text)) holds no score")
                }
                scores[c][slot] = level
            }
        }
        let stylePath = directory + "/style.jsonl"
        if access(stylePath, F_OK) == 0 {
            found = true
            try read(stylePath) { (slot, text, _) throws(TableError) in
                styles[slot] = Styles.split(text).joined(separator: ", ")
            }
        }
        guard found else {
            throw .io(path: directory, reason: "no {capability}.jsonl or style.jsonl files (not an mmSSR output folder)")
        }
        order = Array(idxOfSlot.indices).sorted { idxOfSlot[$0] < idxOfSlot[$1] }
    }

    public func next() throws(TableError) -> ScoreRow? {
        guard cursor < order.count else { return nil }
        let slot = order[cursor]
        cursor += 1
        return ScoreRow(
            idx: idxOfSlot[slot], scores: scores.map { $0[slot].isNaN ? nil : $0[slot] }, styles: styles[slot])
    }

    private func slot(for idx: Int64) -> Int {
        if let s = slotOfIdx[idx] { return s }
        let s = idxOfSlot.count
        slotOfIdx[idx] = s
        idxOfSlot.append(idx)
        for c in scores.indices { scores[c].append(.nan) }
        styles.append("")
        return s
    }

    private func read(_ path: String, _ apply: (Int, String, String) throws(TableError) -> Void) throws(TableError) {
        let lines = try LineReader(path: path)
        while let line = try lines.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let location = "line \(lines.lineNumber)"
            let value: JSONValue
            do { value = try JSONParser.parseDocument(Array(line)) } catch {
                throw .malformed(path: path, location: location, reason: "bad JSON at column \(error.offset + 1): \(error.reason)")
            }
            guard let idx = value["idx"]?.integerValue else {
                throw .malformed(path: path, location: location, reason: "missing integer idx")
            }
            guard let text = value["pred_response"]?.stringValue else {
                throw .malformed(path: path, location: location, reason: "missing string pred_response")
            }
            try apply(slot(for: idx), text, location)
        }
    }

    /// The teacher's answer is normally just the digit; tolerate surrounding text by taking the first digit.
    static func level(_ text: String) -> Float? {
        let trimmed = text.trimmingSpaces
        if let v = Float(trimmed), v.isFinite { return v }
        if let d = text.unicodeScalars.first(where: { ("0"..."5").contains($0) }) { return Float(d.value - 48) }
        return nil
    }
}

extension Comparable {
    func clamped(_ lo: Self, _ hi: Self) -> Self { min(max(self, lo), hi) }
}

extension String {
    var trimmingSpaces: String { self[...].trimmingSpaces }
}
