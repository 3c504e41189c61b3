extension PoolItem {
    /// Decodes one item's bytes exactly as `PoolReader` does with `.index` options (idx, id, image,
    /// image_source; conversations validated, not decoded; no raw copy).
    ///
    /// Public so that a caller framing items itself (the subset writer's byte scanner) reaches the very same
    /// verdict on the rare items its fast path cannot vouch for, instead of keeping a second decoder in step.
    public static func decodeIndex(_ bytes: UnsafeBufferPointer<UInt8>, position: Int, byteOffset: Int) -> PoolItem {
        PoolItemDecoder.decode(
            bytes, position: position, byteOffset: byteOffset, keepRaw: false, conversations: false,
            errorPrefix: { "bad JSON at byte \($0)" })
    }
}
