import Tensor

/// The vision tower's input pipeline: Pillow bicubic resize to `size x size`, then `/255` and
/// per-channel `(x - mean) / std`, laid out channel-major (CHW).
///
/// The size and statistics come from the model file; the defaults are ImageNet's at 224, which is
/// what DINOv2 was trained with.
public struct ImagePreprocessor: Sendable {
    public static let imageNetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imageNetStd: [Float] = [0.229, 0.224, 0.225]

    public let size: Int
    public let mean: [Float]
    public let std: [Float]
    /// `table[c * 256 + v]` is the normalised value of byte `v` in channel `c`: 768 floats replace a
    /// divide per element and give the same float32 result as computing it each time.
    private let table: [Float]

    public init(size: Int = 224, mean: [Float] = imageNetMean, std: [Float] = imageNetStd) {
        precondition(size > 0, "preprocessor size must be positive, got \(size)")
        precondition(mean.count == 3 && std.count == 3, "mean and std need 3 channels each")
        precondition(std.allSatisfy { $0 != 0 }, "std must be non-zero")
        self.size = size
        self.mean = mean
        self.std = std
        var table = [Float](repeating: 0, count: 3 * 256)
        for c in 0..<3 {
            for v in 0..<256 { table[c * 256 + v] = (Float(v) / 255 - mean[c]) / std[c] }
        }
        self.table = table
    }

    /// The image resized to `size x size` (a no-op copy if it already is).
    public func resize(_ image: RGBImage) -> RGBImage {
        BicubicResize.resize(image, width: size, height: size)
    }

    /// Normalised CHW values of an image of any size: `3 * height * width` floats.
    public func pixelValues(_ image: RGBImage) -> [Float] {
        let plane = image.width * image.height
        return [Float](unsafeUninitializedCapacity: 3 * plane) { out, initialized in
            image.pixels.withUnsafeBufferPointer { src in
                table.withUnsafeBufferPointer { lut in
                    for c in 0..<3 {
                        let channel = lut.baseAddress! + c * 256
                        let target = out.baseAddress! + c * plane
                        for i in 0..<plane { target[i] = channel[Int(src[i * 3 + c])] }
                    }
                }
            }
            initialized = 3 * plane
        }
    }

    /// Resize and normalise: the tensor `[3, size, size]` the vision tower takes.
    public func tensor(_ image: RGBImage) -> Tensor {
        Tensor(shape: [3, size, size], data: pixelValues(resize(image)))
    }

    /// Decode a file and preprocess it.
    public func tensor(path: String, maxPixels: Int = ImageDecoder.defaultMaxPixels) throws(ImageError) -> Tensor {
        tensor(try ImageDecoder.decode(path: path, maxPixels: maxPixels))
    }
}
