/// A file format recognised from its leading bytes. The extension is never consulted: datasets are
/// full of PNGs named `.jpg`.
enum ImageFormat: Equatable {
    case jpeg
    case png
    /// Recognised but not decoded; the associated name goes into the error message.
    case other(String)
    case unknown

    init(sniffing bytes: UnsafeBufferPointer<UInt8>) {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            bytes.count >= offset + magic.count && zip(magic, bytes[offset...]).allSatisfy { $0 == $1 }
        }
        func ascii(_ s: String) -> [UInt8] { Array(s.utf8) }

        if starts([0xFF, 0xD8, 0xFF]) {
            self = .jpeg
        } else if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) {
            self = .png
        } else if starts(ascii("GIF87a")) || starts(ascii("GIF89a")) {
            self = .other("GIF")
        } else if starts(ascii("RIFF")) && starts(ascii("WEBP"), at: 8) {
            self = .other("WebP")
        } else if starts(ascii("BM")) && bytes.count >= 18 && [12, 40, 52, 56, 64, 108, 124].contains(bytes[14]) && bytes[15] == 0 {
            // The DIB header size at offset 14 tells a bitmap from text that happens to start "BM".
            self = .other("BMP")
        } else if starts([0x49, 0x49, 0x2A, 0x00]) || starts([0x4D, 0x4D, 0x00, 0x2A]) {
            self = .other("TIFF")
        } else if starts(ascii("ftypavif"), at: 4) || starts(ascii("ftypavis"), at: 4) {
            self = .other("AVIF")
        } else if starts(ascii("ftypheic"), at: 4) || starts(ascii("ftypheix"), at: 4) || starts(ascii("ftypmif1"), at: 4) {
            self = .other("HEIF")
        } else if starts([0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20]) || starts([0xFF, 0x4F, 0xFF, 0x51]) {
            self = .other("JPEG 2000")
        } else if starts([0x00, 0x00, 0x01, 0x00]) && bytes.count >= 22 {
            self = .other("ICO")
        } else if starts(ascii("8BPS")) {
            self = .other("PSD")
        } else {
            self = .unknown
        }
    }
}
