import CBLAS

/// The fused attention kernel of Sources/CBLAS/attention.c: the fastest the CPU has (AVX-512, else AVX2),
/// the one `MMSSR_KERNEL` names when it forces scalar or AVX2 kernels (parsed once, with the int8 GEMM's
/// choice, so one variable switches every SIMD kernel).
let attentionKernel: Int32 = switch QuantizedLinear.Kernel.selected {
case .scalar: Int32(MMSSR_AK_SCALAR)
case .avx2: Int32(MMSSR_AK_AVX2)
default: mmssr_attention_best_kernel()
}

/// Arithmetic of `multiHeadAttention`.
public enum AttentionPrecision: Sendable {
    /// fp32 throughout: the fp32 models' parity with onnxruntime rests on it.
    case fp32
    /// q k^T and P v in bf16 on AMX tiles (fp32 softmax and accumulation) where the CPU has AMX-BF16,
    /// fp32 elsewhere: ~3e-3 relative error per head, for int8 models, whose int8 GEMMs err more.
    case bf16
}

/// The kernel for `precision`: the scalar reference whenever `MMSSR_KERNEL=scalar` forces it.
func attentionKernel(_ precision: AttentionPrecision) -> Int32 {
    if attentionKernel == Int32(MMSSR_AK_SCALAR) { return attentionKernel }
    if precision == .bf16 && mmssr_attention_supported(Int32(MMSSR_AK_AMX_BF16)) != 0 { return Int32(MMSSR_AK_AMX_BF16) }
    return attentionKernel
}

/// Multi-head scaled dot-product attention over packed sequences.
///
/// `qkv` is `[tokens, 3 * hidden]`: each row holds `[q | k | v]`, each of them `heads` blocks of
/// `hidden / heads`. `sequences` are the token ranges of independent sequences (images of a batch,
/// texts of different lengths): tokens attend only within their own range, so variable-length texts
/// need neither padding nor a mask. Returns the concatenated heads, `[tokens, hidden]`.
public func multiHeadAttention(qkv: Tensor, heads: Int, sequences: [Range<Int>], scale: Float,
                               precision: AttentionPrecision = .fp32) -> Tensor {
    let hidden = qkv.cols / 3
    precondition(qkv.cols == 3 * hidden && hidden % heads == 0, "attention: \(qkv.cols) columns do not split into q, k, v of \(heads) heads")
    let dh = hidden / heads
    let kernel = attentionKernel(precision)
    // The SIMD kernels take heads of whole 16-float vectors; others (SigLIP-so400m's 72) run them zero-padded:
    // zero q and k columns add nothing to q k^T, and zero v columns give output columns that are dropped.
    if dh % 16 != 0 && kernel != Int32(MMSSR_AK_SCALAR) {
        let padded = (dh + 15) / 16 * 16
        let wide = multiHeadAttention(qkv: resizingBlocks(qkv, count: 3 * heads, from: dh, to: padded), heads: heads,
                                      sequences: sequences, scale: scale, precision: precision)
        return resizingBlocks(wide, count: heads, from: padded, to: dh)
    }
    let stride = 3 * hidden
    let scratchFloats = mmssr_attention_scratch_floats(sequences.map(\.count).max() ?? 0, dh)
    // Tasks are (sequence, head), sequence-major; a task costs ~len^2. Several chunks per worker of about
    // equal cost balance texts of different lengths; each chunk allocates its scratch once.
    let costs = sequences.flatMap { s in repeatElement(s.count * s.count, count: heads) }
    let chunks = balancedRanges(costs, parts: 4 * Parallel.threads)
    var out = [Float](repeating: 0, count: qkv.rows * hidden)
    qkv.data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            // Each task writes its own head's columns of its own rows; all read the shared input.
            let ptrs = UncheckedSendable((src.baseAddress!, dst.baseAddress!))
            Parallel.forEach(chunks.count) { chunk in
                let (base, result) = ptrs.value
                let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchFloats)
                defer { scratch.deallocate() }
                // The chunk's heads in one call, so the kernel can prefetch each next head's rows.
                let tasks = chunks[chunk].map { task in
                    let (s, h) = (sequences[task / heads], task % heads)
                    let q = base + s.lowerBound * stride + h * dh
                    return mmssr_attention_task(q: q, k: q + hidden, v: q + 2 * hidden,
                                                out: result + s.lowerBound * hidden + h * dh, len: s.count)
                }
                mmssr_attention_heads(kernel, tasks, tasks.count, stride, dh, scale, hidden, scratch)
            }
        }
    }
    return Tensor(shape: [qkv.rows, hidden], data: out)
}

/// Each row of `x` as `count` blocks of `from` columns, each block cut or zero-padded to `to` columns.
func resizingBlocks(_ x: Tensor, count: Int, from: Int, to: Int) -> Tensor {
    precondition(x.cols == count * from, "resizingBlocks: \(x.cols) columns are not \(count) blocks of \(from)")
    let kept = min(from, to)
    var out = [Float](repeating: 0, count: x.rows * count * to)
    x.data.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for r in 0..<x.rows {
                for b in 0..<count {
                    let s = src.baseAddress! + (r * count + b) * from, d = dst.baseAddress! + (r * count + b) * to
                    d.update(from: s, count: kept)
                }
            }
        }
    }
    return Tensor(shape: [x.rows, count * to], data: out)
}

/// Splits `0..<costs.count` into at most `parts` contiguous, non-empty ranges of about equal total cost.
func balancedRanges(_ costs: [Int], parts: Int) -> [Range<Int>] {
    let total = costs.reduce(0, +)
    var ranges = [Range<Int>](), start = 0, sum = 0, part = 1
    for (i, cost) in costs.enumerated() {
        sum += cost
        // Cut after task i once the prefix reaches the next share (a costly task may pass several).
        guard sum * parts >= total * part else { continue }
        while part < parts && sum * parts >= total * part { part += 1 }
        ranges.append(start ..< i + 1)
        start = i + 1
    }
    if start < costs.count { ranges.append(start ..< costs.count) }
    return ranges
}
