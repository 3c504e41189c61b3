/// LSD radix sort of UInt64 keys, 16 bits per pass, skipping passes where every key has the same digit.
/// Sorting the packed (score, idx rank) keys this way is several times faster than a comparison sort.
enum RadixSort {
    /// `sortedLowBits` (a multiple of 16): the keys already ascend in their low bits, so only the higher
    /// digits need passes (LSD passes are stable, so that order survives among equal high digits).
    static func sort(_ keys: inout [UInt64], sortedLowBits: Int = 0) {
        guard keys.count > 1 else { return }
        precondition(sortedLowBits % 16 == 0 && sortedLowBits < 64)
        let first = sortedLowBits / 16
        // Every pass's histogram in one read of the keys.
        var counts = [UInt32](repeating: 0, count: 4 << 16)
        keys.withUnsafeBufferPointer { src in
            counts.withUnsafeMutableBufferPointer { cnt in
                for k in src {
                    cnt[Int(k & 0xFFFF)] &+= 1
                    cnt[1 << 16 | Int((k >> 16) & 0xFFFF)] &+= 1
                    cnt[2 << 16 | Int((k >> 32) & 0xFFFF)] &+= 1
                    cnt[3 << 16 | Int(k >> 48)] &+= 1
                }
            }
        }
        var other = [UInt64](repeating: 0, count: keys.count)
        var offsets = [Int](repeating: 0, count: 1 << 16)
        for pass in first..<4 {
            let histogram = counts[pass << 16..<(pass + 1) << 16]
            if histogram.contains(UInt32(keys.count)) { continue }
            var sum = 0
            for (d, c) in histogram.enumerated() { offsets[d] = sum; sum += Int(c) }
            let shift = UInt64(pass * 16)
            keys.withUnsafeBufferPointer { src in
                other.withUnsafeMutableBufferPointer { dst in
                    offsets.withUnsafeMutableBufferPointer { off in
                        for k in src {
                            let d = Int((k >> shift) & 0xFFFF)
                            dst[off[d]] = k
                            off[d] += 1
                        }
                    }
                }
            }
            swap(&keys, &other)
        }
    }
}
