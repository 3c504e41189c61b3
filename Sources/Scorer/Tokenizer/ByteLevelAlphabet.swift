/// GPT-2's `bytes_to_unicode`: byte-level BPE vocabularies spell every byte as one printable scalar, the
/// printable Latin-1 bytes as themselves and the rest as U+0100 onwards, in byte order.
enum ByteLevelAlphabet {
    static let scalarOfByte: [Unicode.Scalar] = {
        var scalars = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                scalars[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                scalars[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return scalars
    }()

    /// The byte a scalar of the alphabet spells, nil for scalars outside it.
    static func byte(of scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 {
            let byte = UInt8(value)
            return scalarOfByte[Int(byte)] == scalar ? byte : nil
        }
        return byteOfShiftedScalar[value]
    }

    private static let byteOfShiftedScalar: [UInt32: UInt8] = {
        var bytes: [UInt32: UInt8] = [:]
        for (byte, scalar) in scalarOfByte.enumerated() where scalar.value >= 256 { bytes[scalar.value] = UInt8(byte) }
        return bytes
    }()

    /// The bytes a token spells, nil when one of its scalars is outside the alphabet (added tokens may be).
    static func bytes(of token: String) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(token.unicodeScalars.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(of: scalar) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
