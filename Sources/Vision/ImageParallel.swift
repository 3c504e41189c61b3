import Tensor

/// Runs a vision tower's forward over `count` images: `forward(range, &clock)` returns the hidden states of
/// the images in `range`, rows in image order. The results, concatenated, are all images' rows in order.
///
/// With several workers and images, each worker runs whole forwards of one image at a time: an image's
/// activations fit a core's L2 (DINOv2-S on 2 cores: one image per forward 35 images/s per core, eight
/// 22, and eight split op by op over both cores 41 in all). Otherwise one forward takes the whole batch,
/// each op split across the workers. Rows never depend on their batch mates, so the bits are the same
/// either way.
func forwardImageParallel(count: Int, clock: inout PartClock,
                          _ forward: (Range<Int>, inout PartClock) -> Tensor) -> [Tensor] {
    let workers = min(Parallel.threads, count)
    guard workers > 1 else { return [forward(0..<count, &clock)] }
    var states = [Tensor](repeating: Tensor(zeros: [0, 0]), count: count)
    var clocks = [PartClock](repeating: PartClock(enabled: clock.isEnabled), count: workers)
    states.withUnsafeMutableBufferPointer { s in
        clocks.withUnsafeMutableBufferPointer { c in
            // Worker w writes only states[i] for its own i and clocks[w].
            let out = UncheckedSendable((s.baseAddress!, c.baseAddress!))
            Parallel.forEach(workers) { w in
                Parallel.serially {
                    for i in stride(from: w, to: count, by: workers) {
                        out.value.0[i] = forward(i ..< i + 1, &out.value.1[w])
                    }
                }
            }
        }
    }
    for worker in clocks { clock.add(worker) }
    return states
}
