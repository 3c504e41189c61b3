/// Pillow's `Image.resize(size, Image.BICUBIC)` on RGB8, bit for bit (Pillow 13, `Resample.c`).
///
/// Separable: per axis, a cubic kernel (a = -0.5) whose support widens by the downscale factor,
/// weights normalised per output pixel, then quantised to 22-bit fixed point; each pass rounds and
/// clips to 0-255. Pass order and skipping follow `ImagingResampleInner`. Every floating-point
/// expression mirrors the C source term for term, because a different rounding of one weight moves
/// output pixels by 1.
public enum BicubicResize {
    public static func resize(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width > 0 && height > 0, "target size \(width)x\(height) must be positive")
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        if !needHorizontal && !needVertical { return image }

        // Vertical first only when height shrinks more than twice as much as width (fewer rows to
        // filter horizontally afterwards).
        let horizontalFirst = !(image.height - height > 0 && image.height - height > (image.width - width) * 2)

        if horizontalFirst {
            var vertical = AxisWeights(inSize: image.height, outSize: height)
            var current = image
            if needHorizontal {
                // Filter only the source rows the vertical pass will read.
                let first = vertical.start[0]
                let last = vertical.start[height - 1] + vertical.count[height - 1]
                for i in 0..<height { vertical.start[i] -= first }
                current = horizontalPass(image, rows: first..<last, weights: AxisWeights(inSize: image.width, outSize: width))
            }
            if needVertical { current = verticalPass(current, weights: vertical) }
            return current
        } else {
            var current = verticalPass(image, weights: AxisWeights(inSize: image.height, outSize: height))
            if needHorizontal {
                current = horizontalPass(current, rows: 0..<height, weights: AxisWeights(inSize: image.width, outSize: width))
            }
            return current
        }
    }

    /// Rounds the 22-bit fixed-point sum and clips to a byte (Pillow's `clip8`).
    @inline(__always)
    static func clip8(_ sum: Int32) -> UInt8 {
        let v = sum >> AxisWeights.precisionBits
        return v < 0 ? 0 : v > 255 ? 255 : UInt8(truncatingIfNeeded: v)
    }

    static func horizontalPass(_ image: RGBImage, rows: Range<Int>, weights w: AxisWeights) -> RGBImage {
        let outWidth = w.start.count
        var out = [UInt8](repeating: 0, count: outWidth * rows.count * 3)
        let half: Int32 = 1 << (AxisWeights.precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                w.coefficients.withUnsafeBufferPointer { k in
                    w.start.withUnsafeBufferPointer { start in
                        w.count.withUnsafeBufferPointer { count in
                            let inStride = image.width * 3
                            for oy in 0..<rows.count {
                                let line = src.baseAddress! + (rows.lowerBound + oy) * inStride
                                let target = dst.baseAddress! + oy * outWidth * 3
                                var kk = k.baseAddress!
                                for xx in 0..<outWidth {
                                    var s0 = half, s1 = half, s2 = half
                                    var p = line + start[xx] * 3
                                    for t in 0..<count[xx] {
                                        let c = kk[t]
                                        s0 = s0 &+ Int32(p[0]) &* c
                                        s1 = s1 &+ Int32(p[1]) &* c
                                        s2 = s2 &+ Int32(p[2]) &* c
                                        p += 3
                                    }
                                    target[xx * 3] = clip8(s0)
                                    target[xx * 3 + 1] = clip8(s1)
                                    target[xx * 3 + 2] = clip8(s2)
                                    kk += w.ksize
                                }
                            }
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: rows.count, pixels: out)
    }

    static func verticalPass(_ image: RGBImage, weights w: AxisWeights) -> RGBImage {
        let outHeight = w.start.count
        let rowLength = image.width * 3
        var out = [UInt8](repeating: 0, count: rowLength * outHeight)
        let half: Int32 = 1 << (AxisWeights.precisionBits - 1)
        // Accumulating whole rows tap by tap is the C loop with its two inner loops swapped: the
        // same integer sums, but contiguous and vectorisable.
        var accumulator = [Int32](repeating: 0, count: rowLength)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                accumulator.withUnsafeMutableBufferPointer { acc in
                    w.coefficients.withUnsafeBufferPointer { k in
                        for yy in 0..<outHeight {
                            for i in 0..<rowLength { acc[i] = half }
                            let base = w.start[yy]
                            for t in 0..<w.count[yy] {
                                let c = k[yy * w.ksize + t]
                                let line = src.baseAddress! + (base + t) * rowLength
                                for i in 0..<rowLength { acc[i] = acc[i] &+ Int32(line[i]) &* c }
                            }
                            let target = dst.baseAddress! + yy * rowLength
                            for i in 0..<rowLength { target[i] = clip8(acc[i]) }
                        }
                    }
                }
            }
        }
        return RGBImage(width: image.width, height: outHeight, pixels: out)
    }
}

/// The fixed-point filter of one axis: for each output index, the first source index, the tap count
/// and `ksize` coefficient slots (Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`).
struct AxisWeights {
    static let precisionBits: Int32 = 32 - 8 - 2
    static let support = 2.0  // bicubic

    var start: [Int]
    var count: [Int]
    let ksize: Int
    let coefficients: [Int32]

    init(inSize: Int, outSize: Int) {
        // Pillow passes the box edges as C floats; sizes below 2^24 convert exactly.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1.0)
        let support = Self.support * filterScale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        let inverseScale = 1.0 / filterScale

        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var fixed = [Int32](repeating: 0, count: outSize * ksize)
        var weights = [Double](repeating: 0, count: ksize)
        let unit = Double(1 << Self.precisionBits)
        for xx in 0..<outSize {
            let center = 0.0 + (Double(xx) + 0.5) * scale
            // C's (int) cast truncates toward zero, as Int(_:) does.
            let xmin = max(Int(center - support + 0.5), 0)
            let xmax = min(Int(center + support + 0.5), inSize) - xmin
            var sum = 0.0
            for x in 0..<xmax {
                let w = Self.cubic((Double(x + xmin) - center + 0.5) * inverseScale)
                weights[x] = w
                sum += w
            }
            for x in 0..<xmax {
                let k = sum != 0 ? weights[x] / sum : weights[x]
                fixed[xx * ksize + x] = k < 0 ? Int32(-0.5 + k * unit) : Int32(0.5 + k * unit)
            }
            start[xx] = xmin
            count[xx] = xmax
        }
        self.start = start
        self.count = count
        self.ksize = ksize
        self.coefficients = fixed
    }

    /// Keys' cubic convolution kernel with a = -0.5, in Pillow's evaluation order.
    static func cubic(_ value: Double) -> Double {
        let a = -0.5
        let x = value < 0 ? -value : value
        if x < 1.0 { return ((a + 2.0) * x - (a + 3.0)) * x * x + 1 }
        if x < 2.0 { return (((x - 5) * x + 8) * x - 4) * a }
        return 0.0
    }
}
