import Tensor

/// What `mmssr score` was asked to do.
public struct ScoreJob: Sendable {
    public var pool: String
    /// The folder that `image` paths are relative to.
    public var imagesRoot: String
    /// The score table; its extension picks the format.
    public var output: String
    /// Also export the official mmSSR folder layout here.
    public var mmssrFolder: String?
    /// Samples per forward.
    public var batchSize = ScoreJob.defaultBatchSize(threads: Parallel.threads)
    /// Threads decoding and preprocessing images while the forward runs (the forward's own width is
    /// `Parallel.threads`).
    public var prepareThreads = 1
    public var shard = ShardSpec.all
    /// Only the first `limit` pool positions (before sharding, so shards with the same limit still compose).
    public var limit: Int?
    public var resume = false
    /// Names the model and its precision in the checkpoint, so a resume never mixes two models' rows.
    public var scorerIdentity = ""

    /// 4 samples per forward thread, at least 8. Each thread's rows then stay near the caches: measured on 2
    /// cores, batch 8 scored 27-28.5 samples/s, 16 gave 26-27.5 and 32 only 19 (its activations spill to memory).
    public static func defaultBatchSize(threads: Int) -> Int { max(8, 4 * threads) }

    public init(pool: String, imagesRoot: String, output: String) {
        self.pool = pool
        self.imagesRoot = imagesRoot
        self.output = output
    }
}

/// Seconds spent per pipeline stage. `prepare` adds up all prepare workers, so it can exceed the wall time.
public struct StageTimes: Sendable {
    /// Reading and parsing the pool (reader thread).
    public var read = 0.0
    /// Decoding and preprocessing (sum over prepare workers).
    public var prepare = 0.0
    /// Batched forward on the compute thread.
    public var forward = 0.0
    /// Checkpoint and table writes on the compute thread.
    public var write = 0.0
    /// Compute thread idle, waiting for prepared samples.
    public var waitForPrepare = 0.0

    public init() {}
}

/// How a run went.
public struct ScoreSummary: Sendable {
    /// Rows in the table, resumed ones included.
    public var rows = 0
    /// Rows scored by this process.
    public var scored = 0
    /// Rows taken over from the checkpoint.
    public var resumed = 0
    /// Error rows in the table.
    public var errors = 0
    public var seconds = 0.0
    public var stages = StageTimes()
}
