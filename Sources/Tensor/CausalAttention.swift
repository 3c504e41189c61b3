import CBLAS

/// One sequence of a batched causal-attention call: its rows in the batch, the cache its new keys and values
/// go to, and an optional shared prefix its rows also attend to (every row of it).
public struct CausalSequence: Sendable {
    public let rows: Range<Int>
    public let cache: KVCache
    public let prefix: KVCache?

    public init(rows: Range<Int>, cache: KVCache, prefix: KVCache?) {
        self.rows = rows
        self.cache = cache
        self.prefix = prefix
    }
}

/// The causal-attention kernel of Sources/CBLAS/lm_attention.c, chosen as `attentionKernel`.
let causalAttentionKernel: Int32 = switch QuantizedLinear.Kernel.selected {
case .scalar: Int32(MMSSR_LK_SCALAR)
case .avx2: Int32(MMSSR_LK_AVX2)
default: mmssr_lm_attention_best_kernel()
}

/// Grouped-query causal attention of one layer over a batch of sequences.
///
/// `qkv` rows hold `[q | k | v]` (heads, then kvHeads, then kvHeads blocks of headDim), rotated already. The
/// new k, v rows are written into each sequence's cache as pending rows (the caller commits them after the
/// last layer); row i of a sequence attends to its prefix, its cache's committed rows and its own rows up to
/// i. Tasks are (sequence, KV group), so a sequence's result never depends on the others in the batch.
public func causalAttention(qkv: Tensor, layer: Int, heads: Int, kvHeads: Int, headDim: Int,
                            sequences: [CausalSequence]) -> Tensor {
    let qWidth = heads * headDim, kvWidth = kvHeads * headDim
    precondition(qkv.cols == qWidth + 2 * kvWidth, "attention: \(qkv.cols) columns, expected \(qWidth + 2 * kvWidth)")
    let stride = qkv.cols
    var out = Tensor(zeros: [qkv.rows, qWidth])
    for s in sequences {
        s.cache.reserve(s.rows.count)
        for (t, r) in s.rows.enumerated() {
            let dst = s.cache.pendingRow(layer: layer, t)
            qkv.data.withUnsafeBufferPointer { src in
                dst.keys.update(from: src.baseAddress! + r * stride + qWidth, count: kvWidth)
                dst.values.update(from: src.baseAddress! + r * stride + qWidth + kvWidth, count: kvWidth)
            }
        }
    }
    let tasks = sequences.indices.flatMap { s in (0..<kvHeads).map { (s, $0) } }
    let scale = 1 / Float(headDim).squareRoot()
    qkv.data.withUnsafeBufferPointer { src in
        out.data.withUnsafeMutableBufferPointer { dst in
            // Each task writes only its own sequence's rows and its group's heads.
            let p = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
            Parallel.forRanges(tasks.count) { range in
                let (src, dst) = p.value
                var scratch = [Float]()
                for (s, group) in tasks[range] {
                    let seq = sequences[s]
                    let n = seq.rows.count, ownFirst = seq.cache.count
                    let pre = seq.prefix.map { c -> mmssr_kv_span in
                        let sp = c.span(layer: layer, rows: c.count)
                        return mmssr_kv_span(k: sp.keys, v: sp.values, stride: kvWidth, len: c.count)
                    } ?? mmssr_kv_span(k: nil, v: nil, stride: kvWidth, len: 0)
                    let ownSpan = seq.cache.span(layer: layer, rows: ownFirst + n)
                    let own = mmssr_kv_span(k: ownSpan.keys, v: ownSpan.values, stride: kvWidth, len: ownFirst + n)
                    let need = mmssr_lm_attention_scratch_floats(n, heads / kvHeads, Int(pre.len) + ownFirst + n, headDim)
                    if scratch.count < need { scratch = [Float](repeating: 0, count: need) }
                    scratch.withUnsafeMutableBufferPointer { sb in
                        mmssr_causal_attention(causalAttentionKernel, src + seq.rows.lowerBound * stride, stride, n, heads, kvHeads,
                                               headDim, pre, own, ownFirst, scale, group, group + 1,
                                               dst + seq.rows.lowerBound * qWidth, qWidth, sb.baseAddress!)
                    }
                }
            }
        }
    }
    return out
}
