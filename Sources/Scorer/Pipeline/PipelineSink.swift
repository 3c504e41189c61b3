/// Where the pipeline's compute stage puts each batch's results, in pool order: the score table for
/// `mmssr score`, the features file for `mmssr embed`. A sink owns its own resume state: it is opened with the
/// run's fingerprint and reports how far an interrupted run of the same job got.
protocol PipelineSink: AnyObject {
    associatedtype Row
    /// Rows written so far, resumed ones included.
    var rows: Int { get }
    /// Error rows among them.
    var errors: Int { get }
    /// Pool position of the last row taken over from an interrupted run; nil when starting afresh.
    var resumedThrough: Int? { get }
    /// Records a computed batch.
    func append(_ batch: [(position: Int, row: Row)]) throws(PipelineError)
    /// Completes the outputs and moves them to their real names.
    func finish() throws(PipelineError)
}
