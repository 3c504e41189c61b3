/// LSD radix sort of UInt64 keys, 16 bits per pass, skipping passes where every key has the same digit.
/// Sorting the packed (score, idx rank) keys this way is several times faster than a comparison sort.
enum RadixSort {
    static func sort(_ keys: inout [UInt64]) {
        guard keys.count > 1 else { return }
        var other = [UInt64](repeating: 0, count: keys.count)
        var counts = [Int](repeating: 0, count: 1 << 16)
        for pass in 0..<4 {
            let shift = UInt64(pass * 16)
            for i in counts.indices { counts[i] = 0 }
            keys.withUnsafeBufferPointer { src in
                counts.withUnsafeMutableBufferPointer { cnt in
                    for k in src { cnt[Int((k >> shift) & 0xFFFF)] += 1 }
                }
            }
            if counts.contains(keys.count) { continue }
            var sum = 0
            for i in counts.indices { let c = counts[i]; counts[i] = sum; sum += c }
            keys.withUnsafeBufferPointer { src in
                other.withUnsafeMutableBufferPointer { dst in
                    counts.withUnsafeMutableBufferPointer { cnt in
                        for k in src {
                            let d = Int((k >> shift) & 0xFFFF)
                            dst[cnt[d]] = k
                            cnt[d] += 1
                        }
                    }
                }
            }
            swap(&keys, &other)
        }
    }
}
