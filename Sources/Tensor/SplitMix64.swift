/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, well-mixed 64-bit generator. Used instead of the system RNG
/// wherever a seed must give the same numbers on every platform and Swift version: `select --method random
/// --seed S`, the benchmarks' generated inputs, the tests' random data.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound by rejection, so no value is favoured (documented so other tools can reproduce it).
    public mutating func uniform(below bound: UInt64) -> UInt64 {
        precondition(bound > 0)
        let limit = (0 &- bound) % bound
        while true {
            let x = next()
            if x >= limit { return x % bound }
        }
    }
}
