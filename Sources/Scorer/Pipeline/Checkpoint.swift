import Glibc

/// The durable record of an unfinished run: `SCORES.checkpoint.jsonl` next to the output, appended once per
/// batch. The pipeline writes rows in pool order, so the checkpoint always holds a prefix of this run's rows;
/// a process killed at any moment leaves at worst a torn last line, which resume drops.
///
/// A killed process loses nothing that `write` returned (the kernel holds it), so `fsync`, which only guards
/// against a crash of the whole machine and costs milliseconds on some disks, runs at most every
/// `PeriodicSync.interval` seconds rather than per batch.
final class Checkpoint {
    let path: String
    private let fd: Int32
    private var sync = PeriodicSync()

    /// What a resumed run found: `rows` finished rows (handed to `replay` in order), the last at `lastPosition`.
    struct Recovered {
        var rows = 0
        var lastPosition: Int?
    }

    private init(path: String, fd: Int32) {
        self.path = path
        self.fd = fd
    }

    deinit { close(fd) }

    /// Opens the checkpoint of the run named by `fingerprint`. Without `resume` an existing checkpoint is an
    /// error (it holds an interrupted run's work); with it, each finished row goes to `replay` in order and the
    /// file is cut after its last complete line.
    static func open(
        path: String, fingerprint: String, resume: Bool,
        replay: (Int, ScoreRow) throws(PipelineError) -> Void
    ) throws(PipelineError) -> (Checkpoint, Recovered) {
        let exists = access(path, F_OK) == 0
        if exists && !resume {
            throw .checkpoint(path: path, reason: "an interrupted run left this checkpoint: rerun with --resume to continue it, or delete it to start over")
        }
        var recovered = Recovered()
        var keep = 0
        if exists {
            (recovered, keep) = try read(path: path, fingerprint: fingerprint, replay: replay)
        }
        let fd = Glibc.open(path, O_WRONLY | O_CREAT, 0o644)
        guard fd >= 0 else { throw .checkpoint(path: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        let checkpoint = Checkpoint(path: path, fd: fd)
        guard ftruncate(fd, off_t(keep)) == 0, lseek(fd, off_t(keep), SEEK_SET) == keep else {
            throw .checkpoint(path: path, reason: "cannot cut the torn tail: \(String(cString: strerror(errno)))")
        }
        if keep == 0 { try checkpoint.append(CheckpointCodec.header(fingerprint: fingerprint)) }
        return (checkpoint, recovered)
    }

    /// Appends finished rows.
    func append(_ rows: [(position: Int, row: ScoreRow)]) throws(PipelineError) {
        var text = ""
        for (position, row) in rows { text += CheckpointCodec.line(position: position, row: row) }
        try append(text)
    }

    private func append(_ text: String) throws(PipelineError) {
        let failure = sync.append(Array(text.utf8), to: fd)
        if failure != 0 { throw .checkpoint(path: path, reason: "write failed: \(String(cString: strerror(failure)))") }
    }

    /// Called once the final table is in place.
    func remove() {
        unlink(path)
    }

    /// Replays the complete lines; returns what was found and how many bytes to keep (0: start afresh).
    private static func read(
        path: String, fingerprint: String, replay: (Int, ScoreRow) throws(PipelineError) -> Void
    ) throws(PipelineError) -> (Recovered, Int) {
        let source: ByteSource
        do { source = try ByteSource(path: path) } catch { throw .checkpoint(path: path, reason: error.description) }
        var recovered = Recovered()
        var buffer: [UInt8] = []
        var base = 0, cursor = 0, line = 0, keep = 0
        while true {
            let got: Int
            do { got = try source.read(into: &buffer, count: 1 << 20) } catch { throw .checkpoint(path: path, reason: error.description) }
            while let newline = buffer[cursor...].firstIndex(of: 0x0A) {
                line += 1
                let text = buffer[cursor..<newline]
                if line == 1 {
                    guard let found = CheckpointCodec.fingerprint(header: text) else {
                        throw .checkpoint(path: path, reason: "not an mmssr checkpoint (line 1); delete it to start over")
                    }
                    guard found == fingerprint else {
                        throw .checkpoint(path: path, reason: "belongs to a different run (\(found)); delete it to start over")
                    }
                } else {
                    switch CheckpointCodec.row(text) {
                    case let .failure(error):
                        throw .checkpoint(path: path, reason: "line \(line): \(error.reason); delete it to start over")
                    case let .success((position, row)):
                        if let last = recovered.lastPosition, position <= last {
                            throw .checkpoint(path: path, reason: "line \(line): position \(position) is out of order; delete it to start over")
                        }
                        try replay(position, row)
                        recovered.rows += 1
                        recovered.lastPosition = position
                    }
                }
                cursor = newline + 1
                keep = base + cursor
            }
            if got == 0 { break }
            buffer.removeFirst(cursor)
            base += cursor
            cursor = 0
        }
        // Bytes after the last newline are a batch torn by the kill: its rows are scored again.
        return (recovered, keep)
    }
}
