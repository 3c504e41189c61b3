import Foundation
import Tensor

/// `mmssr score` as three overlapping stages:
///
/// 1. a reader thread streams the pool, keeps this shard's unfinished items and hands them out in order;
/// 2. `job.prepareThreads` workers prepare them in any order (`BatchScorer.prepare`, which for `ScoringModel`
///    decodes and preprocesses the images and computes the surface features);
/// 3. the calling thread takes them back in pool order, runs the batched forward (`score`, itself fanned out
///    over `Parallel.threads`) and appends the rows to the checkpoint and the table.
///
/// A semaphore bounds what is in flight to two batches beyond the one being scored, so memory follows the
/// batch size, never the pool size, and batch k+1 is prepared while batch k's forward runs. The writer stays
/// on the compute thread: formatting a batch's rows costs microseconds next to its forward, and one thread
/// owning the outputs keeps their order trivially right. `mmssr embed` runs the same stages (`stream`) with
/// another compute step and sink.
public final class ScorePipeline {
    private let body: () throws(PipelineError) -> ScoreSummary

    public init<Model: BatchScorer>(scorer: Model, job: ScoreJob, progress: ProgressReporter? = nil) {
        body = { () throws(PipelineError) in
            try Self.stream(job: job, progress: progress, prepare: scorer.prepare, compute: scorer.score) {
                fingerprint throws(PipelineError) in
                try ScoreOutputs(output: job.output, mmssrFolder: job.mmssrFolder, fingerprint: fingerprint, resume: job.resume)
            }
        }
    }

    /// Where a run writing `output` keeps its checkpoint.
    public static func checkpointPath(output: String) -> String { ScoreOutputs.checkpointPath(output: output) }

    /// Names everything that changes the rows, so a checkpoint is only resumed by the run that wrote it.
    static func fingerprint(_ job: ScoreJob, poolBytes: Int) -> String {
        "pool=\(absolute(job.pool)) bytes=\(poolBytes) images=\(absolute(job.imagesRoot)) shard=\(job.shard)"
            + " limit=\(job.limit.map(String.init) ?? "none") scorer=\(job.scorerIdentity)"
    }

    public func run() throws(PipelineError) -> ScoreSummary { try body() }

    /// The three stages for any kind of batch result: `compute` turns a batch into one row per sample, `open`
    /// makes the sink for the run's fingerprint (after the pool opened, so a bad pool leaves no files).
    static func stream<Prepared: PoolSample, Sink: PipelineSink>(
        job: ScoreJob, progress: ProgressReporter?,
        prepare: @escaping @Sendable (PoolItem, _ imagesRoot: String) -> Prepared,
        compute: ([Prepared]) -> [Sink.Row],
        open: (_ fingerprint: String) throws(PipelineError) -> Sink
    ) throws(PipelineError) -> ScoreSummary {
        guard job.batchSize >= 1 else { throw .invalidArgument("--batch must be at least 1") }
        guard job.prepareThreads >= 1 else { throw .invalidArgument("prepare threads must be at least 1") }
        if let limit = job.limit, limit < 0 { throw .invalidArgument("--limit must be at least 0") }
        let start = Self.now()
        let reader: PoolReader
        do { reader = try PoolReader(path: job.pool, options: .init(keepRaw: false, conversations: true)) } catch {
            throw .pool(error)
        }
        let poolBytes = Self.fileSize(job.pool)
        let outputs = try open(fingerprint(job, poolBytes: poolBytes))
        let resumedRows = outputs.rows
        let skipThrough = outputs.resumedThrough ?? -1
        progress?.start(poolBytes: poolBytes, limit: job.limit, resumedRows: resumedRows)

        let window = 2 * job.batchSize
        let slots = DispatchSemaphore(value: window)
        let items = BlockingQueue<(sequence: Int, item: PoolItem)>()
        let prepared = ReorderBuffer<Prepared>()
        let cancelled = Locked(false)
        let readFailure = Locked<PoolError?>(nil)
        let times = Locked(StageTimes())
        let threads = DispatchGroup()

        let shared = UncheckedSendable(reader)  // only the reader thread touches it from here on
        let (shard, limit) = (job.shard, job.limit)
        Self.spawn(threads) {
            var sequence = 0, busy = 0.0
            var t = Self.now()
            do throws(PoolError) {
                while let item = try shared.value.next() {
                    if let limit, item.position >= limit { break }
                    guard item.position > skipThrough, shard.contains(position: item.position) else { continue }
                    busy += Self.now() - t
                    slots.wait()
                    if cancelled.read() { break }
                    t = Self.now()
                    items.push((sequence, item))
                    sequence += 1
                }
                busy += Self.now() - t
            } catch {
                readFailure.update { $0 = error }
            }
            items.close()
            prepared.finish(count: sequence)
            times.update { $0.read = busy }
        }
        let imagesRoot = job.imagesRoot
        for _ in 0..<job.prepareThreads {
            Self.spawn(threads) {
                var busy = 0.0
                while let (sequence, item) = items.pop() {
                    let t = Self.now()
                    prepared.put(sequence, prepare(item, imagesRoot))
                    busy += Self.now() - t
                }
                times.update { $0.prepare += busy }
            }
        }

        var summary = ScoreSummary()
        var stages = StageTimes()
        var sequence = 0
        do throws(PipelineError) {
            while true {
                var batch: [Prepared] = []
                batch.reserveCapacity(job.batchSize)
                var t = Self.now()
                while batch.count < job.batchSize, let sample = prepared.take(sequence) {
                    batch.append(sample)
                    sequence += 1
                }
                stages.waitForPrepare += Self.now() - t
                if batch.isEmpty { break }
                t = Self.now()
                let rows = compute(batch)
                stages.forward += Self.now() - t
                t = Self.now()
                try outputs.append(zip(batch, rows).map { ($0.item.position, $1) })
                stages.write += Self.now() - t
                for _ in batch { slots.signal() }
                summary.scored += batch.count
                let last = batch[batch.count - 1].item
                progress?.update(rows: outputs.rows, errors: outputs.errors, lastPosition: last.position,
                                 bytesRead: last.byteOffset + last.byteLength)
            }
        } catch {
            // Wake the reader so every thread ends before the error leaves.
            cancelled.update { $0 = true }
            for _ in 0..<window { slots.signal() }
            threads.wait()
            throw error
        }
        threads.wait()
        let t = Self.now()
        try outputs.finish()
        stages.write += Self.now() - t
        let measured = times.read()
        stages.read = measured.read
        stages.prepare = measured.prepare
        summary.rows = outputs.rows
        summary.resumed = resumedRows
        summary.errors = outputs.errors
        summary.seconds = Self.now() - start
        summary.stages = stages
        progress?.finish(summary)
        if let failure = readFailure.read() {
            throw .brokenPool(failure, keptRows: outputs.rows, output: job.output)
        }
        return summary
    }

    /// A dedicated thread rather than a Dispatch queue: the workers block on each other, and blocked Dispatch
    /// workers would starve the `concurrentPerform` of the forward.
    private static func spawn(_ group: DispatchGroup, _ body: @escaping @Sendable () -> Void) {
        group.enter()
        let thread = Thread {
            body()
            group.leave()
        }
        // libjpeg and the resize keep sizeable frames; the default secondary-thread stack is small.
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Monotonic seconds, for stage times.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    private static func fileSize(_ path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }

    private static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }
}
