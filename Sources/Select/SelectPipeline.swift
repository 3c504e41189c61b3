import Dispatch
import Scorer
import Synchronization

/// `mmssr select` end to end: load the scores, select, write the subset (second pass over the pool), the
/// manifest, and optionally the idx list and the HTML report.
public enum SelectPipeline {
    public enum Input: Sendable {
        case table(String)
        case mmssrFolder(String)
    }

    public struct Request: Sendable {
        public var input: Input
        public var pool: String
        public var output: String
        public var options: SelectionOptions
        public var idsOut: String?
        public var reportDirectory: String?
        public var commandLine: [String]

        public init(input: Input, pool: String, output: String, options: SelectionOptions, idsOut: String? = nil,
                    reportDirectory: String? = nil, commandLine: [String] = []) {
            self.input = input
            self.pool = pool
            self.output = output
            self.options = options
            self.idsOut = idsOut
            self.reportDirectory = reportDirectory
            self.commandLine = commandLine
        }
    }

    public struct Outcome: Sendable {
        public var selection: Selection
        public var manifest: Manifest
        public var manifestPath: String
        public var written: Int
    }

    /// `log` receives progress lines and warnings (the command prints them to stderr unless --quiet).
    public static func run(_ request: Request, log: (String) -> Void = { _ in }) throws(SelectError) -> Outcome {
        // Fail on an unreadable pool before the (long) table load rather than after it.
        do { _ = try PoolReader(path: request.pool, options: .index) } catch { throw .pool(error) }
        var store: ScoreStore
        let poolSize: Int
        switch request.input {
        case let .table(path):
            store = try ScoreStore.load(table: path)
            // One row per pool item (SPEC §3), so the table's row count is the pool's N without a third pass.
            poolSize = store.count
            log("read \(store.count) rows from \(path)")
        case let .mmssrFolder(dir):
            // The folder's files are read on all cores but the pool walk is serial: walk it meanwhile.
            let pool = request.pool
            let (folder, found) = alongside({ () throws(SelectError) in try SubsetWriter.sources(pool: pool) }) {
                () throws(SelectError) in try loadFolder(dir)
            }
            store = try folder.get()
            let sources = try found.get()
            store.setSources(sources)
            poolSize = sources.poolItems
            log("read \(store.count) samples from \(dir); pool has \(poolSize) items")
        }
        let selection = Selector.run(store, request.options, poolSize: poolSize)
        log("selected \(selection.rows.count) rows")
        var warnings: [String] = []
        if let w = selection.warning { warnings.append(w); log("warning: \(w)") }
        let rows = selection.rows.sorted()
        let subset = try SubsetWriter.write(selected: rows.map { store.idx[Int($0)] }, pool: request.pool, to: request.output)
        if case .table = request.input, subset.poolItems != poolSize {
            let w = "the pool has \(subset.poolItems) items but the score table \(poolSize) rows; the budget used the table"
            warnings.append(w)
            log("warning: \(w)")
        }
        log("wrote \(subset.written) items to \(request.output)")
        let manifest = Manifest(store: store, selection: selection, request: request, poolSize: poolSize, warnings: warnings)
        let manifestPath = Manifest.path(forSubset: request.output)
        try writeText(manifest.json(), to: manifestPath)
        if let ids = request.idsOut {
            // The subset's own order: a folder's rows are by idx, which need not be the pool's order.
            try writeText(subset.writtenIdx.map { "\($0)\n" }.joined(), to: ids)
        }
        if let dir = request.reportDirectory {
            let path = try Report.write(store: store, selection: selection, manifest: manifest, directory: dir)
            log("report: \(path)")
        }
        if let example = subset.missing.first {
            throw .missingFromPool(count: subset.missing.count, example: example, pool: request.pool)
        }
        return Outcome(selection: selection, manifest: manifest, manifestPath: manifestPath, written: subset.written)
    }

    public static func loadFolder(_ dir: String) throws(SelectError) -> ScoreStore {
        var store = ScoreStore()
        do {
            try store.append(MMSSRFolderReader(directory: dir).columns)
        } catch let error as TableError {
            throw .table(error)
        } catch let error as SelectError {
            throw error
        } catch {
            throw .table(.io(path: dir, reason: "\(error)"))
        }
        return store
    }

    /// Runs `side` on a thread of its own while `main` runs on this one, and returns both outcomes (so the
    /// caller reports their errors in a fixed order, whichever finished first).
    static func alongside<A: Sendable, B>(
        _ side: @escaping @Sendable () throws(SelectError) -> A, _ main: () throws(SelectError) -> B
    ) -> (main: Result<B, SelectError>, side: Result<A, SelectError>) {
        let outcome = Mutex<Result<A, SelectError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // A queue of its own gets a thread of its own, not one of the pool `concurrentPerform` spreads over.
        DispatchQueue(label: "mmssr.select.alongside").async {
            let r = Result { () throws(SelectError) in try side() }
            outcome.withLock { $0 = r }
            done.signal()
        }
        let first = Result { () throws(SelectError) in try main() }
        done.wait()
        return (first, outcome.withLock { $0! })
    }

    static func writeText(_ text: String, to path: String) throws(SelectError) {
        do {
            let sink = try ByteSink(path: path)
            try sink.write(text)
            try sink.close()
        } catch {
            throw .table(error)
        }
    }
}
