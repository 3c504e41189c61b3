/// Constants of the Parquet format (parquet.thrift) that our writer and reader use.
enum ParquetPhysical: Int32 {
    case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLenByteArray = 7
}

enum ParquetEncoding {
    static let plain: Int32 = 0
    static let plainDictionary: Int32 = 2
    static let rle: Int32 = 3
    static let rleDictionary: Int32 = 8
}

enum ParquetPageType {
    static let data: Int64 = 0
    static let dictionary: Int64 = 2
    static let dataV2: Int64 = 3
}

enum ParquetMagic {
    static let bytes: [UInt8] = Array("PAR1".utf8)
}

/// The RLE / bit-packed hybrid encoding used for definition levels and dictionary indices.
enum RLEHybrid {
    /// Encodes 0/1 levels as RLE runs only; our tables rarely alternate, so runs are short to write and read.
    static func encodeBits(_ levels: [Bool], into out: inout [UInt8]) {
        var i = 0
        while i < levels.count {
            var j = i + 1
            while j < levels.count && levels[j] == levels[i] { j += 1 }
            var header = UInt64(j - i) << 1
            while header >= 0x80 { out.append(UInt8(header & 0x7F) | 0x80); header >>= 7 }
            out.append(UInt8(header))
            out.append(levels[i] ? 1 : 0)
            i = j
        }
    }

    struct Failure: Error { let reason: String }

    /// Decodes `count` values of `bitWidth` bits from `bytes[range]`.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>, bitWidth: Int, count: Int
    ) throws(Failure) -> [UInt32] {
        guard bitWidth <= 32 else { throw Failure(reason: "bit width \(bitWidth) too large") }
        var out: [UInt32] = []
        out.reserveCapacity(count)
        var p = range.lowerBound
        let byteWidth = (bitWidth + 7) / 8
        while out.count < count {
            var header: UInt64 = 0
            var shift: UInt64 = 0
            repeat {
                guard p < range.upperBound, shift < 64 else { throw Failure(reason: "truncated RLE header") }
                header |= UInt64(bytes[p] & 0x7F) << shift
                shift += 7
                p += 1
            } while bytes[p - 1] & 0x80 != 0
            if header & 1 == 0 {
                let run = Int(header >> 1)
                guard p + byteWidth <= range.upperBound else { throw Failure(reason: "truncated RLE run") }
                var v: UInt32 = 0
                for k in 0..<byteWidth { v |= UInt32(bytes[p + k]) << (8 * UInt32(k)) }
                p += byteWidth
                out.append(contentsOf: repeatElement(v, count: min(run, count - out.count)))
            } else {
                // Groups of 8 values; a hostile header's count (up to 2^63) is checked against the bytes left
                // before any product is formed, and only the values still wanted are unpacked.
                let groups = header >> 1
                if bitWidth > 0 {
                    guard groups <= UInt64(range.upperBound - p) / UInt64(bitWidth) else { throw Failure(reason: "truncated bit-packed run") }
                }
                let nbytes = Int(groups) * bitWidth
                let wanted = groups >= UInt64(count - out.count + 7) / 8 ? count - out.count : Int(groups) * 8
                var bit = 0
                for _ in 0..<wanted {
                    var v: UInt32 = 0
                    for b in 0..<bitWidth {
                        let pos = bit + b
                        if bytes[p + pos >> 3] >> UInt8(pos & 7) & 1 == 1 { v |= 1 << UInt32(b) }
                    }
                    bit += bitWidth
                    out.append(v)
                }
                p += nbytes
            }
        }
        return out
    }
}
