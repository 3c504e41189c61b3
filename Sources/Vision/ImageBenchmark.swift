import CImage
import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decode + preprocess throughput, for `mmssr bench`.
///
/// Inputs are held in memory so the number measures CPU work, not the disk. Each worker thread
/// processes whole images, the way the scorer's loader does.
public enum ImageBenchmark {
    public struct Result: Sendable {
        public let images: Int
        public let threads: Int
        public let seconds: Double
        /// CPU time of the whole process over the timed run: on a busy shared machine
        /// `images / cpuSeconds` (images per core-second) is steadier than wall-clock throughput.
        public let cpuSeconds: Double
        /// Single-thread split of the CPU time per image, in milliseconds.
        public let decodeMilliseconds: Double
        public let preprocessMilliseconds: Double
        public var imagesPerSecond: Double { Double(images) / seconds }
        public var imagesPerCPUSecond: Double { Double(images) / cpuSeconds }
    }

    /// A photo-like JPEG (ramps, edges and mild texture; 4:2:0, libjpeg defaults) made without files.
    public static func syntheticJPEG(width: Int = 640, height: Int = 480, quality: Int = 90, seed: UInt64 = 1) -> [UInt8] {
        var rgb = [UInt8](repeating: 0, count: width * height * 3)
        var state = seed
        for y in 0..<height {
            for x in 0..<width {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let texture = Int(state >> 60)  // 0-15
                let block = ((x / 80) + (y / 60) + Int(seed)) % 5 * 40
                rgb[(y * width + x) * 3 + 0] = UInt8(clamping: (x * 255 / width + texture + block) % 256)
                rgb[(y * width + x) * 3 + 1] = UInt8(clamping: (y * 255 / height + texture * 2) % 256)
                rgb[(y * width + x) * 3 + 2] = UInt8(clamping: ((x + y) / 4 + block) % 256)
            }
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = rgb.withUnsafeBufferPointer {
            mmssr_jpeg_encode_rgb($0.baseAddress, UInt32(width), UInt32(height), Int32(quality), &out, &size)
        }
        precondition(status == 0 && out != nil, "libjpeg failed to encode a \(width)x\(height) benchmark image")
        defer { free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: size))
    }

    /// Decodes and preprocesses `rounds` passes over `jpegs` on `threads` threads.
    public static func run(jpegs: [[UInt8]], rounds: Int = 1, threads: Int = 1,
                           preprocessor: ImagePreprocessor = ImagePreprocessor()) throws(ImageError) -> Result {
        precondition(!jpegs.isEmpty && rounds > 0 && threads > 0, "benchmark needs images, rounds and threads")
        // Phase split on one thread, and a warm-up of the code paths.
        var decodeTime = 0.0, preprocessTime = 0.0
        for (i, jpeg) in jpegs.enumerated() {
            let t0 = now(CLOCK_THREAD_CPUTIME_ID)
            let image = try ImageDecoder.decode(data: jpeg, name: "benchmark image \(i)")
            let t1 = now(CLOCK_THREAD_CPUTIME_ID)
            _ = preprocessor.tensor(image)
            let t2 = now(CLOCK_THREAD_CPUTIME_ID)
            decodeTime += t1 - t0
            preprocessTime += t2 - t1
        }

        let total = jpegs.count * rounds
        let start = now(CLOCK_MONOTONIC), cpuStart = now(CLOCK_PROCESS_CPUTIME_ID)
        DispatchQueue.concurrentPerform(iterations: threads) { worker in
            for i in stride(from: worker, to: total, by: threads) {
                // Inputs decoded above already, so this cannot fail.
                if let image = try? ImageDecoder.decode(data: jpegs[i % jpegs.count], name: "") {
                    _ = preprocessor.tensor(image)
                }
            }
        }
        let seconds = now(CLOCK_MONOTONIC) - start, cpuSeconds = now(CLOCK_PROCESS_CPUTIME_ID) - cpuStart
        return Result(images: total, threads: threads, seconds: seconds, cpuSeconds: cpuSeconds,
                      decodeMilliseconds: decodeTime * 1000 / Double(jpegs.count),
                      preprocessMilliseconds: preprocessTime * 1000 / Double(jpegs.count))
    }

    private static func now(_ clock: clockid_t) -> Double {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
