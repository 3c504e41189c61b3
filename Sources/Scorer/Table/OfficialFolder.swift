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
        // No line is shorter than `{"idx":0,"pred_response":""}`: capacity for that many is address space, and
        // only the pages used are ever touched, so the columns never grow by copying.
        let most = text.count / 28 + 1
        out.idx.reserveCapacity(most)
        if capability != nil { out.values.reserveCapacity(most) } else { out.cells.reserveCapacity(most) }
        var interner = ByteInterner()
        var pos = 0, line = 0, released = 0
        let base = text.base
        // A function, not a closure over the locals: captured variables would be checked for exclusive access
        // on every line, a fifth of the reading time.
        func take(_ idx: Int64, _ response: UnsafeBufferPointer<UInt8>, _ out: inout FileLines, _ interner: inout ByteInterner,
                  line: Int) throws(TableError) {
            if let capability {
                let digit = response.count == 1 ? response[0] &- 0x30 : 255
                let v: Float
                if digit < 10 { v = Float(digit) } else {
                    let s = String(decoding: response, as: UTF8.self)
                    guard let level = level(s) else { throw noScore(path, line, s, capability) }
                    v = level
                }
                out.values.append(v)
            } else {
                out.cells.append(interner.id(of: response, names: &out.cellTexts))
            }
            out.idx.append(idx)
        }
        while pos < text.count {
            line += 1
            if let (idx, response, next) = canonicalLine(base, pos, text.count) {
                try take(idx, UnsafeBufferPointer(start: base + response.lowerBound, count: response.count), &out, &interner, line: line)
                pos = next
            } else {
                let (end, next) = text.line(at: pos)
                defer { pos = next }
                var blank = pos
                while blank < end, base[blank] == 0x20 || base[blank] == 0x09 { blank += 1 }
                if blank == end { continue }
                if let (idx, response) = plainLine(base, pos, end) {
                    try take(idx, UnsafeBufferPointer(start: base + response.lowerBound, count: response.count), &out, &interner, line: line)
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
                let failure = response.withUTF8 { bytes -> TableError? in
                    do throws(TableError) { try take(idx, bytes, &out, &interner, line: line) } catch { return error }
                    return nil
                }
                if let failure { throw failure }
            }
            if pos - released > MappedText.releaseEvery { text.release(released, pos); released = pos }
        }
        return out
    }

    private static func noScore(_ path: String, _ line: Int, _ text: String, _ capability: Int) -> TableError {
        .malformed(path: path, location: "line \(line)", reason: "pred_response \(jsonString(text)) holds no score")
    }

    /// The line at `start` when it is exactly `{"idx": N, "pred_response": "plain ASCII"}` and a line feed or the
    /// end of the file, as the official code and `MMSSRFolderWriter` write every line: idx, the response's
    /// range and where the next line starts. Whatever this answers, `plainLine` answers alike, but this makes
    /// one pass over the bytes without looking for the line's end first; nil leaves the line to `plainLine`.
    @inline(__always)
    private static func canonicalLine(_ base: UnsafePointer<UInt8>, _ start: Int, _ count: Int) -> (Int64, Range<Int>, Int)? {
        let head: StaticString = "{\"idx\": "
        let middle: StaticString = ", \"pred_response\": \""
        var i = start + head.utf8CodeUnitCount
        guard i < count, memcmp(base + start, head.utf8Start, head.utf8CodeUnitCount) == 0 else { return nil }
        // JSON's integers without a sign: 0 or no leading zero; DecimalBytes' 18 digits.
        let digitsStart = i
        var idx: Int64 = 0
        while i < count, base[i] &- 0x30 < 10, i - digitsStart < 18 {
            idx = idx &* 10 &+ Int64(base[i] &- 0x30)
            i += 1
        }
        let digits = i - digitsStart
        guard digits > 0, digits == 1 || base[digitsStart] != 0x30 else { return nil }
        guard count - i > middle.utf8CodeUnitCount, memcmp(base + i, middle.utf8Start, middle.utf8CodeUnitCount) == 0 else { return nil }
        i += middle.utf8CodeUnitCount
        let responseStart = i
        // Printable ASCII without a quote or backslash, as `JSONBytesScanner.plainString` takes.
        i = ByteScan.firstNotPlain(base, from: i, end: count)
        guard count - i >= 2, base[i] == 0x22, base[i + 1] == UInt8(ascii: "}") else { return nil }
        let response = responseStart ..< i
        i += 2
        if i == count { return (idx, response, i) }
        guard base[i] == 0x0A else { return nil }
        return (idx, response, i + 1)
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
            if idx.isEmpty, zip(file.idx, file.idx.dropFirst()).allSatisfy({ $0 < $1 }) {
                // The first file, ascending (the usual case): every line is a new sample, in order.
                idx = file.idx
                maxIdx = idx.last ?? .min
                for c in scores.indices { scores[c] = [Float](repeating: .nan, count: idx.count) }
                styles = [Int32](repeating: -1, count: idx.count)
                if let capability { scores[capability] = file.values } else { styles = file.cells.map { cellIds[Int($0)] } }
                return
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
