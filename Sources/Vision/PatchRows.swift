import Tensor

/// A patch embedding's convolution (kernel = stride = `patchSize`) as a GEMM input: one row per patch,
/// row-major over each image's grid, holding the patch's pixels in the kernel's (channel, y, x) order.
/// `images` are CHW, `3 x imageSize x imageSize` each.
func patchRows(_ images: [[Float]], imageSize s: Int, patchSize ps: Int) -> Tensor {
    let g = s / ps
    let width = 3 * ps * ps
    var rows = [Float](repeating: 0, count: images.count * g * g * width)
    for (i, image) in images.enumerated() {
        precondition(image.count == 3 * s * s, "image \(i) has \(image.count) values, expected 3x\(s)x\(s)")
        for py in 0..<g {
            for px in 0..<g {
                var o = ((i * g + py) * g + px) * width
                for ch in 0..<3 {
                    for y in 0..<ps {
                        let src = (ch * s + py * ps + y) * s + px * ps
                        for x in 0..<ps { rows[o + x] = image[src + x] }
                        o += ps
                    }
                }
            }
        }
    }
    return Tensor(shape: [images.count * g * g, width], data: rows)
}
