/// Line 1 of a features file (see `docs/distillation.md`): one JSON object naming the format, the feature
/// layout it holds (the model file's `heads.features`), and the run that wrote it.
public struct FeatureFileHeader: Sendable, Equatable {
    public static let version = 1

    /// `name:width` per block, as `heads.features` spells it.
    public var layout: [String]
    /// Values per ok row: the sum of the layout's widths.
    public var featureCount: Int
    /// Model file and precision the features came from.
    public var model: String
    /// The run's fingerprint (pool, images, shard, limit, model): a resume only continues its own run.
    public var run: String

    public init(layout: [String], model: String, run: String) {
        self.layout = layout
        featureCount = layout.reduce(0) { $0 + (Int($1.split(separator: ":").last ?? "") ?? 0) }
        self.model = model
        self.run = run
    }

    /// The header line, newline included.
    func encoded() -> String {
        let layoutJSON = "[" + layout.map(jsonString).joined(separator: ",") + "]"
        return "{\"mmssr_features\":\(Self.version),\"dtype\":\"float32-le\",\"features\":\(featureCount),"
            + "\"layout\":\(layoutJSON),\"model\":\(jsonString(model)),\"run\":\(jsonString(run))}\n"
    }

    /// Parses line 1; the error is a one-line reason.
    static func decode(_ line: ArraySlice<UInt8>) -> Result<FeatureFileHeader, FeatureFileError.Reason> {
        guard let value = try? JSONParser.parseDocument(Array(line)), let version = value["mmssr_features"]?.integerValue else {
            return .failure("not an mmssr features file (line 1 is no features header)")
        }
        guard version == Int64(Self.version) else {
            return .failure("features format version \(version); this mmssr reads version \(Self.version)")
        }
        guard case let .array(entries)? = value["layout"], let count = value["features"]?.integerValue else {
            return .failure("header lacks layout or features")
        }
        let layout = entries.compactMap(\.stringValue)
        let header = FeatureFileHeader(layout: layout, model: value["model"]?.stringValue ?? "", run: value["run"]?.stringValue ?? "")
        guard layout.count == entries.count, Int64(header.featureCount) == count, count > 0 else {
            return .failure("header layout (\(header.featureCount) values) disagrees with features = \(count)")
        }
        return .success(header)
    }
}

extension FeatureFileError {
    /// A reason without its location, filled in by the reader.
    struct Reason: Error, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
        let text: String
        init(stringLiteral value: String) { text = value }
        init(stringInterpolation: DefaultStringInterpolation) { text = String(stringInterpolation: stringInterpolation) }
    }
}
