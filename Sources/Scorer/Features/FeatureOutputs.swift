import Glibc

/// What `mmssr embed` writes: the features file, grown under `FEATURES.partial` and renamed when complete.
/// The partial file is its own checkpoint: rows are appended in pool order after every batch, so a resumed
/// run keeps its complete records (cutting a torn last one) and continues after the last position.
final class FeatureOutputs: PipelineSink {
    let output: String
    private let appender: FeatureFileAppender
    private(set) var rows = 0
    private(set) var errors = 0
    let resumedThrough: Int?

    static func partialPath(output: String) -> String { output + ".partial" }

    init(output: String, header: FeatureFileHeader, resume: Bool) throws(PipelineError) {
        self.output = output
        let partial = Self.partialPath(output: output)
        let exists = access(partial, F_OK) == 0
        if exists && !resume {
            throw .checkpoint(path: partial, reason: "an interrupted run left this file: rerun with --resume to continue it, or delete it to start over")
        }
        var keep = 0, last: Int?
        if exists {
            do {
                let reader = try FeatureFileReader(path: partial)
                guard reader.header.run == header.run, reader.header.layout == header.layout else {
                    throw PipelineError.checkpoint(path: partial, reason: "belongs to a different run (\(reader.header.run)); delete it to start over")
                }
                while let row = try reader.next(allowTornTail: true) {
                    if let last, row.position <= last {
                        throw PipelineError.checkpoint(path: partial, reason: "position \(row.position) is out of order; delete it to start over")
                    }
                    last = row.position
                    rows += 1
                    if !row.isOK { errors += 1 }
                }
                keep = reader.offset
            } catch let error as PipelineError {
                throw error
            } catch let error as FeatureFileError {
                throw .checkpoint(path: partial, reason: "\(error.description); delete it to start over")
            } catch {
                throw .checkpoint(path: partial, reason: "\(error)")
            }
        }
        resumedThrough = last
        do {
            appender = try FeatureFileAppender(path: partial, keep: keep)
            if keep == 0 { try appender.append(Array(header.encoded().utf8)) }
        } catch {
            throw .features(error)
        }
    }

    func append(_ batch: [(position: Int, row: FeatureRow)]) throws(PipelineError) {
        var bytes: [UInt8] = []
        for (_, row) in batch {
            FeatureRecordCodec.encode(row, into: &bytes)
            if !row.isOK { errors += 1 }
        }
        do { try appender.append(bytes) } catch { throw .features(error) }
        rows += batch.count
    }

    func finish() throws(PipelineError) {
        do { try appender.close() } catch { throw .features(error) }
        let partial = Self.partialPath(output: output)
        guard rename(partial, output) == 0 else {
            throw .features(.io(path: output, reason: "cannot move \(partial) into place: \(String(cString: strerror(errno)))"))
        }
    }
}
