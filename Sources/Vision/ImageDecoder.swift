#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CImage

/// Decodes JPEG and PNG files to RGB8 exactly as Pillow's `Image.open(f).convert("RGB")` does.
///
/// The format is chosen by the file's signature. Declared sizes above `maxPixels` are refused after
/// reading the header and before allocating pixels. Every failure is an `ImageError` naming the file;
/// the codecs never exit or crash the process on bad data.
public enum ImageDecoder {
    /// Default pixel cap: 100 megapixels (a 10000 x 10000 image).
    public static let defaultMaxPixels = 100_000_000
    /// Files beyond this size are refused unread: even a 100-megapixel PNG compresses below it.
    public static let maxFileBytes = 1 << 30

    public static func decode(path: String, maxPixels: Int = defaultMaxPixels) throws(ImageError) -> RGBImage {
        try decode(data: readFile(path), name: path, maxPixels: maxPixels)
    }

    /// Decodes bytes already in memory; `name` is what errors report as the path.
    public static func decode(data: [UInt8], name: String, maxPixels: Int = defaultMaxPixels) throws(ImageError) -> RGBImage {
        if data.isEmpty { throw ImageError(.emptyFile, path: name) }
        let cap = UInt64(max(0, maxPixels))
        var result = mmssr_image()
        defer { mmssr_image_free(&result) }
        let format = data.withUnsafeBufferPointer { bytes in
            let format = ImageFormat(sniffing: bytes)
            switch format {
            case .jpeg: mmssr_jpeg_decode(bytes.baseAddress, bytes.count, cap, &result)
            case .png: mmssr_png_decode(bytes.baseAddress, bytes.count, cap, &result)
            case .other, .unknown: break
            }
            return format
        }

        let formatName: String
        switch format {
        case .jpeg: formatName = "JPEG"
        case .png: formatName = "PNG"
        case .other(let other): throw ImageError(.unsupportedFormat(other), path: name)
        case .unknown: throw ImageError(.notAnImage, path: name)
        }

        let width = Int(result.width), height = Int(result.height)
        switch result.status {
        case MMSSR_IMAGE_OK:
            let pixels = [UInt8](UnsafeBufferPointer(start: result.pixels, count: width * height * 3))
            return RGBImage(width: width, height: height, pixels: pixels)
        case MMSSR_IMAGE_TRUNCATED:
            throw ImageError(.truncated(formatName), path: name)
        case MMSSR_IMAGE_TOO_LARGE:
            throw ImageError(.tooLarge(width: width, height: height, limit: maxPixels), path: name)
        case MMSSR_IMAGE_UNSUPPORTED:
            throw ImageError(.unsupportedFormat(message(of: &result)), path: name)
        case MMSSR_IMAGE_NO_MEMORY:
            throw ImageError(.outOfMemory, path: name)
        default:
            throw ImageError(.corrupt(formatName, message(of: &result)), path: name)
        }
    }

    private static func message(of result: inout mmssr_image) -> String {
        withUnsafeBytes(of: &result.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    /// Reads a whole file with POSIX calls so the OS reason survives into the error.
    static func readFile(_ path: String) throws(ImageError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            let code = errno
            throw ImageError(code == ENOENT || code == ENOTDIR ? .fileNotFound : .unreadable(osReason(code)), path: path)
        }
        defer { close(fd) }
        var info = stat()
        if fstat(fd, &info) != 0 { throw ImageError(.unreadable(osReason(errno)), path: path) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw ImageError(.unreadable(osReason(EISDIR)), path: path) }
        let size = Int(info.st_size)
        if size > maxFileBytes { throw ImageError(.fileTooLarge(bytes: size), path: path) }

        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            while filled < size {
                let n = read(fd, buffer.baseAddress! + filled, size - filled)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { break }  // shrank while we read: decode what is there
                filled += n
            }
        }
        if failure != 0 { throw ImageError(.unreadable(osReason(failure)), path: path) }
        if filled < size { bytes.removeLast(size - filled) }
        return bytes
    }

    private static func osReason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
