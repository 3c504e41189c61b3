import Glibc

/// Everything a run writes: the score table (and optionally the official mmSSR folder) under temporary names,
/// plus the checkpoint. Only `finish` puts the results under their real names, so a killed run never leaves a
/// file that looks complete.
final class ScoreOutputs: PipelineSink {
    let output: String
    private let table: any ScoreTableWriter
    private let folder: MMSSRFolderWriter?
    private let folderPath: String?
    private let checkpoint: Checkpoint
    let recovered: Checkpoint.Recovered
    /// Rows in the table so far, resumed ones included.
    private(set) var rows = 0
    private(set) var errors = 0
    var resumedThrough: Int? { recovered.lastPosition }

    var temporaryTable: String { output + ".tmp" }
    static func checkpointPath(output: String) -> String { output + ".checkpoint.jsonl" }

    init(output: String, mmssrFolder: String?, fingerprint: String, resume: Bool) throws(PipelineError) {
        self.output = output
        folderPath = mmssrFolder
        let tmp = output + ".tmp"
        let table: any ScoreTableWriter, folder: MMSSRFolderWriter?
        do {
            switch try ScoreTable.Format(path: output) {
            case .parquet: table = try ParquetTableWriter(path: tmp)
            case .csv: table = try CSVTableWriter(path: tmp)
            case .jsonl: table = try JSONLTableWriter(path: tmp)
            }
            folder = try mmssrFolder.map { dir throws(TableError) in try MMSSRFolderWriter(directory: dir + ".tmp") }
        } catch {
            throw .table(error)
        }
        self.table = table
        self.folder = folder
        // The checkpoint is replayed into the fresh temporary files: they are rebuilt, never trusted.
        var replayed = 0, replayedErrors = 0
        (checkpoint, recovered) = try Checkpoint.open(
            path: Self.checkpointPath(output: output), fingerprint: fingerprint, resume: resume
        ) { (_, row) throws(PipelineError) in
            do throws(TableError) {
                try table.write(row)
                try folder?.write(row)
            } catch { throw .table(error) }
            replayed += 1
            if row.status == .error { replayedErrors += 1 }
        }
        rows = replayed
        errors = replayedErrors
    }

    /// Records a scored batch: durable in the checkpoint first, then in the table.
    func append(_ batch: [(position: Int, row: ScoreRow)]) throws(PipelineError) {
        try checkpoint.append(batch)
        do throws(TableError) {
            for (_, row) in batch {
                try table.write(row)
                try folder?.write(row)
                if row.status == .error { errors += 1 }
            }
        } catch { throw .table(error) }
        rows += batch.count
    }

    /// Completes the files and moves them to their real names; the checkpoint goes last, so a kill in between
    /// only means a resume that rewrites the same table.
    func finish() throws(PipelineError) {
        do throws(TableError) {
            try table.finish()
            try folder?.finish()
        } catch { throw .table(error) }
        try move(temporaryTable, to: output)
        if let folderPath { try replaceFolder(folderPath + ".tmp", folderPath) }
        checkpoint.remove()
    }

    private func move(_ from: String, to: String) throws(PipelineError) {
        guard rename(from, to) == 0 else {
            throw .table(.io(path: to, reason: "cannot move \(from) into place: \(String(cString: strerror(errno)))"))
        }
    }

    /// rename(2) will not replace a non-empty folder: the old export's files go first.
    private func replaceFolder(_ from: String, _ to: String) throws(PipelineError) {
        var st = stat()
        if stat(to, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            for name in Capabilities.keys + ["style"] { unlink(to + "/\(name).jsonl") }
            rmdir(to)
        }
        try move(from, to: to)
    }
}
