/// The heads' input: one vector per sample, assembled from named blocks in a fixed order.
///
/// The model file records the layout it was built for (`heads.features`, one `name:width` entry per block), and
/// the engine refuses a file whose layout differs from the one it computes, so a head can never be applied to
/// features it was not made for.
public enum FeatureLayout {
    /// `(name, width)` of each block, in vector order.
    public static func blocks(textDim: Int, visionDim: Int) -> [(name: String, width: Int)] {
        [("text.question", textDim), ("text.answer", textDim), ("vision.cls", visionDim),
         ("vision.patch_mean", visionDim), ("vision.has_image", 1)]
            + SurfaceFeatures.names.map { ("surface.\($0)", 1) }
    }

    public static func descriptor(textDim: Int, visionDim: Int) -> [String] {
        blocks(textDim: textDim, visionDim: visionDim).map { "\($0.name):\($0.width)" }
    }

    public static func width(textDim: Int, visionDim: Int) -> Int {
        blocks(textDim: textDim, visionDim: visionDim).reduce(0) { $0 + $1.width }
    }
}
