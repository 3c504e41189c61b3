import Foundation

/// HF `tokenizers`' BertNormalizer: clean_text, then handle_chinese_chars, then strip_accents (NFD and drop
/// Mn), then lowercase, each applied per Unicode scalar like Rust's `char`.
struct BertNormalizer: Sendable {
    let cleanText: Bool
    let handleChineseChars: Bool
    let stripAccents: Bool
    let lowercase: Bool

    /// Replaces `output` with the normalised scalars of `text`; `scratch` is reused to spare allocations.
    func normalize(_ text: Substring, into output: inout [Unicode.Scalar], scratch: inout [Unicode.Scalar]) {
        scratch.removeAll(keepingCapacity: true)
        var needsDecomposition = false
        for scalar in text.unicodeScalars {
            let classes = ScalarClass.of(scalar)
            if cleanText {
                if classes.contains(.removedByCleanText) { continue }
                if classes.contains(.whitespace) {
                    scratch.append(" ")
                    continue
                }
            }
            // Nothing below U+00C0 decomposes or is a mark, so pure ASCII/Latin-1 text skips NFD.
            needsDecomposition = needsDecomposition || scalar.value >= 0xC0
            if handleChineseChars && classes.contains(.chinese) {
                scratch.append(contentsOf: [" ", scalar, " "])
            } else {
                scratch.append(scalar)
            }
        }
        if stripAccents && needsDecomposition {
            output.removeAll(keepingCapacity: true)
            Self.appendCanonicalDecomposition(of: scratch, to: &output)
            output.removeAll { ScalarClass.of($0).contains(.nonspacingMark) }
            swap(&output, &scratch)
        }
        output.removeAll(keepingCapacity: true)
        guard lowercase else {
            output.append(contentsOf: scratch)
            return
        }
        for scalar in scratch {
            if scalar.isASCII {
                let value = scalar.value
                output.append(value >= 0x41 && value <= 0x5A ? Unicode.Scalar(UInt8(value + 0x20)) : scalar)
            } else {
                // Rust's `char::to_lowercase`: the full, context-free mapping (it may expand, e.g. U+0130).
                output.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
    }

    /// NFD as HF computes it with the `unicode-normalization-alignments` crate, whose data is Unicode 9.0:
    /// scalars encoded later are starters with no decomposition there, so they are passed through verbatim
    /// and cut the text into independently normalised runs (a starter bounds canonical reordering).
    private static func appendCanonicalDecomposition(
        of scalars: [Unicode.Scalar], to output: inout [Unicode.Scalar]
    ) {
        var run = String.UnicodeScalarView()
        func flush() {
            guard !run.isEmpty else { return }
            output.append(contentsOf: String(run).decomposedStringWithCanonicalMapping.unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        for scalar in scalars {
            if scalar.value >= 0x300, let age = scalar.properties.age, age.major > 9 {
                flush()
                output.append(scalar)
            } else {
                run.append(scalar)
            }
        }
        flush()
    }
}
