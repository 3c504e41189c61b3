import Glibc

/// Progress of `mmssr score` and `mmssr embed` on stderr. On a terminal: one redrawn line with a bar, items/s,
/// errors and ETA; otherwise (logs, CI) a plain line every `interval` seconds. Called from the compute thread only.
///
/// A stream's item count is unknown until its end, so the fraction done is the share of the pool's bytes
/// read (or of --limit positions, whichever is further), measured from where this run started.
public final class ProgressReporter {
    public enum Style: Sendable { case bar, lines }

    private let style: Style
    private let interval: Double
    private let write: (String) -> Void
    /// Names the command on plain lines ("score", "embed").
    private let label: String
    private var poolBytes = 0
    private var limit: Int?
    private var startRows = 0
    private var startTime = 0.0
    /// Time and fraction at the first batch: the ETA extrapolates this run's own pace from there.
    private var first: (time: Double, fraction: Double)?
    private var lastDraw = -Double.infinity

    /// `write` receives finished text (tests capture it; the CLI sends it to stderr).
    public init(style: Style, interval: Double? = nil, label: String = "score",
                write: @escaping (String) -> Void = ProgressReporter.toStderr) {
        self.style = style
        self.label = label
        self.interval = interval ?? (style == .bar ? 0.2 : 5)
        self.write = write
    }

    public static func toStderr(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { if n < 0 && errno == EINTR { continue }; return }
            done += n
        }
    }

    /// The style that suits stderr: a bar on a terminal, plain lines otherwise.
    public static var stderrStyle: Style { isatty(2) != 0 ? .bar : .lines }

    func start(poolBytes: Int, limit: Int?, resumedRows: Int) {
        self.poolBytes = poolBytes
        self.limit = limit
        startRows = resumedRows
        startTime = ScorePipeline.now()
        first = nil
        if resumedRows > 0 { write("resuming after \(resumedRows) finished rows\n") }
    }

    func update(rows: Int, errors: Int, lastPosition: Int, bytesRead: Int) {
        let now = ScorePipeline.now()
        var fraction = poolBytes > 0 ? Double(bytesRead) / Double(poolBytes) : 0
        if let limit, limit > 0 { fraction = max(fraction, Double(lastPosition + 1) / Double(limit)) }
        fraction = min(fraction, 1)
        if first == nil { first = (now, fraction) }
        guard now - lastDraw >= interval else { return }
        lastDraw = now
        let elapsed = now - startTime
        let rate = elapsed > 0 ? Double(rows - startRows) / elapsed : 0
        var eta = "?"
        if fraction >= 1 {
            eta = "0s"
        } else if let first, fraction > first.fraction {
            eta = Self.duration((now - first.time) * (1 - fraction) / (fraction - first.fraction))
        }
        let stats = "\(rows) rows  \(Self.decimal(rate, 1))/s  \(errors) errors  \(Self.decimal(fraction * 100, 1))%  ETA \(eta)"
        switch style {
        case .bar:
            let width = 24, filled = Int((fraction * Double(width)).rounded(.down))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write("\r[\(bar)] \(stats)\u{1B}[K")
        case .lines:
            write("\(label): \(stats)\n")
        }
    }

    func finish(_ summary: ScoreSummary) {
        if style == .bar && lastDraw > -Double.infinity { write("\r\u{1B}[K") }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return "\(s / 3600)h\(String(format2: s / 60 % 60))m" }
        if s >= 60 { return "\(s / 60)m\(String(format2: s % 60))s" }
        return "\(s)s"
    }

    static func decimal(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "?" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = Int((value * scale).rounded())
        let whole = scaled / Int(scale), part = abs(scaled % Int(scale))
        guard digits > 0 else { return "\(whole)" }
        let text = String(part)
        return "\(whole).\(String(repeating: "0", count: digits - text.count))\(text)"
    }
}

private extension String {
    init(format2 n: Int) { self = n < 10 ? "0\(n)" : "\(n)" }
}
