import Dispatch
import Glibc
import Synchronization

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

/// Reads an official mmSSR folder back as score rows sorted by idx, held as columns (`columns`: NaN = no line).
/// Rows carry no image_source: the caller takes it from the pool.
///
/// The files are read from memory maps on all cores, one file per core at a time, each line by bytes when it is
/// the plain `{"idx": N, "pred_response": "..."}` and by `JSONParser` otherwise. Files normally list the same idx
/// in the same order, so a line's sample is first looked for just after the previous line's.
public final class MMSSRFolderReader: ScoreTableReader {
    public let columns: ScoreBatch
    private var cursor = 0

    public init(directory: String) throws(TableError) {
        var files: [(path: String, capability: Int?)] = []
        for (c, key) in Capabilities.keys.enumerated() where access(directory + "/\(key).jsonl", F_OK) == 0 {
            files.append((directory + "/\(key).jsonl", c))
        }
        if access(directory + "/style.jsonl", F_OK) == 0 { files.append((directory + "/style.jsonl", nil)) }
        guard !files.isEmpty else {
            throw .io(path: directory, reason: "no {capability}.jsonl or style.jsonl files (not an mmSSR output folder)")
        }
        let slots = Mutex(Slots())
        let failures = Mutex<[Int: TableError]>([:])
        let list = files
        DispatchQueue.concurrentPerform(iterations: list.count) { k in
            do throws(TableError) {
                let file = try Self.read(list[k].path, capability: list[k].capability)
                slots.withLock { $0.merge(file, capability: list[k].capability) }
            } catch {
                failures.withLock { $0[k] = error }
            }
        }
        // The first failing file in the serial order, whatever finished first.
        if let first = failures.withLock({ $0.min { $0.key < $1.key }?.value }) { throw first }
        columns = slots.withLock { $0.sortedColumns() }
    }

    public func next() throws(TableError) -> ScoreRow? {
        guard cursor < columns.count else { return nil }
        let r = cursor
        cursor += 1
        return ScoreRow(
            idx: columns.idx[r], scores: columns.scores.map { $0[r].isNaN ? nil : $0[r] },
            styles: columns.styleCells[Int(columns.styles[r])])
    }

    /// One file's lines in file order: idx and the score (capability files) or the style cell's id.
    struct FileLines: Sendable {
        var idx: [Int64] = []
        var values: [Float] = []
        var cells: [Int32] = []
        /// Style cells as written, by id.
        var cellTexts: [String] = []
    }

    private static func read(_ path: String, capability: Int?) throws(TableError) -> FileLines {
        let text = try MappedText(path: path)
        var out = FileLines()
        var interner = ByteInterner()
        var pos = 0, line = 0, released = 0
        let base = text.base
        while pos < text.count {
            let (end, next) = text.line(at: pos)
            line += 1
            defer {
                pos = next
                if pos - released > MappedText.releaseEvery { text.release(released, pos); released = pos }
            }
            var blank = pos
            while blank < end, base[blank] == 0x20 || base[blank] == 0x09 { blank += 1 }
            if blank == end { continue }
            if let (idx, response) = plainLine(base, pos, end) {
                let p = base + response.lowerBound, n = response.count
                if let capability {
                    let digit = n == 1 ? p[0] &- 0x30 : 255
                    let v: Float
                    if digit < 10 { v = Float(digit) } else {
                        let s = String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
                        guard let level = level(s) else { throw noScore(path, line, s, capability) }
                        v = level
                    }
                    out.values.append(v)
                } else {
                    out.cells.append(interner.id(of: UnsafeBufferPointer(start: p, count: n), names: &out.cellTexts))
                }
                out.idx.append(idx)
                continue
            }
            let location = "line \(line)"
            let value: JSONValue
            do { value = try JSONParser.parseDocument(Array(UnsafeBufferPointer(start: base + pos, count: end - pos))) } catch {
                throw .malformed(path: path, location: location, reason: "bad JSON at column \(error.offset + 1): \(error.reason)")
            }
            guard let idx = value["idx"]?.integerValue else {
                throw .malformed(path: path, location: location, reason: "missing integer idx")
            }
            guard var response = value["pred_response"]?.stringValue else {
                throw .malformed(path: path, location: location, reason: "missing string pred_response")
            }
            if let capability {
                guard let level = level(response) else { throw noScore(path, line, response, capability) }
                out.values.append(level)
            } else {
                out.cells.append(response.withUTF8 { interner.id(of: $0, names: &out.cellTexts) })
            }
            out.idx.append(idx)
        }
        return out
    }

    private static func noScore(_ path: String, _ line: Int, _ text: String, _ capability: Int) -> TableError {
        .malformed(path: path, location: "line \(line)", reason: "pred_response \(jsonString(text)) holds no score")
    }

    /// `{"idx": N, "pred_response": "plain ASCII"}` with members in any order and other scalar members ignored;
    /// nil for anything else (a repeated key among them: the text path takes the first).
    @inline(__always)
    private static func plainLine(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (Int64, Range<Int>)? {
        var s = JSONBytesScanner(base: base, i: start, end: end)
        var idx: Int64?
        var response: Range<Int>?
        guard s.take(UInt8(ascii: "{")) else { return nil }
        while true {
            guard let key = s.plainString(), s.take(UInt8(ascii: ":")), let value = s.scalar() else { return nil }
            let k = base + key.lowerBound
            if key.count == 3, k[0] == UInt8(ascii: "i"), k[1] == UInt8(ascii: "d"), k[2] == UInt8(ascii: "x") {
                guard idx == nil, case let .number(r, integer: true) = value,
                      let v = DecimalBytes.int64(base + r.lowerBound, r.count) else { return nil }
                idx = v
            } else if key.count == 13, memcmp(k, "pred_response", 13) == 0 {
                guard response == nil, case let .string(r) = value else { return nil }
                response = r
            }
            if s.take(UInt8(ascii: ",")) { continue }
            guard s.take(UInt8(ascii: "}")) else { return nil }
            s.skipSpace()
            guard s.i == end, let idx, let response else { return nil }
            return (idx, response)
        }
    }

    /// Samples (one per idx met in any file) as columns, filled file by file.
    private struct Slots: Sendable {
        var idx: [Int64] = []
        var scores: [[Float]] = Array(repeating: [], count: Capabilities.keys.count)
        /// Into `cells`; -1 when style.jsonl has no line for the sample.
        var styles: [Int32] = []
        var cells = ByteInterner()
        var cellTexts: [String] = []
        /// Built on the first line not found where expected.
        var slotOfIdx: [Int64: Int]?
        var maxIdx = Int64.min

        mutating func merge(_ file: FileLines, capability: Int?) {
            // Style cells normalised once per distinct text ("a,b" and "a, b" are one cell).
            var cellIds: [Int32] = []
            for raw in file.cellTexts {
                var text = Styles.split(raw).joined(separator: ", ")
                cellIds.append(text.withUTF8 { cells.id(of: $0, names: &cellTexts) })
            }
            var guess = 0
            for (k, v) in file.idx.enumerated() {
                let slot: Int
                if guess < idx.count, idx[guess] == v {
                    slot = guess
                } else if v > maxIdx {
                    slot = add(v)
                } else {
                    if slotOfIdx == nil { slotOfIdx = Dictionary(uniqueKeysWithValues: idx.enumerated().map { ($1, $0) }) }
                    slot = slotOfIdx![v] ?? add(v)
                }
                if let capability { scores[capability][slot] = file.values[k] } else { styles[slot] = cellIds[Int(file.cells[k])] }
                guess = slot + 1
            }
        }

        private mutating func add(_ v: Int64) -> Int {
            let slot = idx.count
            idx.append(v)
            for c in scores.indices { scores[c].append(.nan) }
            styles.append(-1)
            slotOfIdx?[v] = slot
            maxIdx = max(maxIdx, v)
            return slot
        }

        /// The samples by idx ascending, as a batch of ok rows with no source.
        mutating func sortedColumns() -> ScoreBatch {
            var batch = ScoreBatch()
            var none = ""
            let empty = none.withUTF8 { cells.id(of: $0, names: &cellTexts) }
            for i in styles.indices where styles[i] < 0 { styles[i] = empty }
            if !zip(idx, idx.dropFirst()).allSatisfy({ $0 < $1 }) {
                let order = idx.indices.sorted { idx[$0] < idx[$1] }
                idx = order.map { idx[$0] }
                styles = order.map { styles[$0] }
                for c in scores.indices { scores[c] = order.map { [scores] in scores[c][$0] } }
            }
            batch.idx = idx
            batch.scores = scores
            batch.styles = styles
            batch.styleCells = cellTexts
            batch.ok = Array(repeating: true, count: idx.count)
            batch.sourceNames = [""]
            batch.source = Array(repeating: 0, count: idx.count)
            idx = []
            scores = []
            styles = []
            return batch
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
