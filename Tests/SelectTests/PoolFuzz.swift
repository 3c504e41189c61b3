import Foundation
@testable import Select
import Tensor

/// Random pool items and corruptions for the differential tests of the subset writer's scanners: strings
/// full of escapes, brackets, commas and multi-byte UTF-8, nested values, the special keys in any order,
/// and byte-level damage that makes some items (or the whole array) malformed.
struct PoolFuzz {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    mutating func below(_ n: Int) -> Int { Int(rng.uniform(below: UInt64(n))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    private static let pieces = [
        "a", "Q", " ", "?", "<image>", "\\n", "\\\"", "\\\\", "\\/", "\\t", "\\u00e9", "\\u4e2D", "\\ud83d\\ude00",
        "é", "中文", "😀", "[", "]", "{", "}", ",", ":", "\\\"]", "{\\\"x\\\":1}", "idx", "\\\"idx\\\": 3",
        "abcdefghijklmnop", "0123456789",
    ]

    mutating func string() -> String {
        var s = "\""
        for _ in 0..<below(6) { s += Self.pieces[below(Self.pieces.count)] }
        return s + "\""
    }

    mutating func value(depth: Int = 0) -> String {
        switch below(depth > 3 ? 5 : 8) {
        case 0: return string()
        case 1: return ["0", "-12", "3.25", "1e5", "-0.5E-3", "42"][below(6)]
        case 2: return ["true", "false", "null"][below(3)]
        case 3, 4: return string()
        case 5: return "[" + (0..<below(4)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
        default:
            return "{" + (0..<below(4)).map { _ in string() + ":" + value(depth: depth + 1) }.joined(separator: ", ") + "}"
        }
    }

    /// One item (valid JSON unless `corrupt`), usually pool-shaped.
    mutating func item(position: Int) -> String {
        var members: [String] = []
        if chance(30) { members.append("\"idx\": " + (chance(90) ? String(position + below(5) - 2) : ["null", "1.5", "\"7\"", "12345678901234567890"][below(4)])) }
        if chance(80) { members.append("\"id\":" + (chance(90) ? "\"s\(position)\"" : ["7", "null", "true", "[1]"][below(4)])) }
        if chance(80) {
            let image = switch below(10) {
            case 0: "[\"a/1.jpg\", \"b/2.jpg\"]"
            case 1: "[]"
            case 2: "null"
            case 3: "[1]"
            default: "\"src\(below(3))/\(position).jpg\""
            }
            members.append("\"image\" : " + image)
        }
        if chance(10) { members.append("\"image_source\":" + (chance(80) ? string() : "3")) }
        if chance(95) {
            let turns = (0..<below(3)).map { _ in "{\"from\":\"human\",\"value\":\(string())}" }
            members.append("\"conversations\":[" + turns.joined(separator: ",") + "]")
        }
        for _ in 0..<below(3) { members.append(string() + ":" + value()) }
        if chance(5), let dup = members.first { members.append(dup) }
        if chance(3) { members.append("\"\\u0069dx\": 9") }
        members.shuffle(using: &rng)
        return "{" + members.joined(separator: chance(20) ? " ,\n " : ",") + "}"
    }

    private static let damage: [UInt8] = Array("\"\\{}[],: \nu0".utf8) + [0xFF, 0xC3, 0xE2, 0x01, 0xED, 0xA0]

    /// Replaces, inserts or deletes one byte.
    mutating func corrupt(_ text: [UInt8]) -> [UInt8] {
        var b = text
        guard !b.isEmpty else { return b }
        let at = below(b.count)
        switch below(3) {
        case 0: b[at] = Self.damage[below(Self.damage.count)]
        case 1: b.insert(Self.damage[below(Self.damage.count)], at: at)
        default: b.remove(at: at)
        }
        return b
    }

    /// A whole pool: a JSON array (sometimes with a BOM, odd spacing) or JSONL, some items damaged,
    /// sometimes the array structure itself.
    mutating func pool(items: Int) -> [UInt8] {
        let list = (0..<items).map { i -> [UInt8] in
            let bytes = Array(item(position: i).utf8)
            return chance(8) ? corrupt(bytes) : bytes
        }
        var out: [UInt8] = chance(10) ? [0xEF, 0xBB, 0xBF] : []
        if chance(25) {
            for (k, line) in list.enumerated() {
                out += line
                out += chance(10) ? Array("\r\n".utf8) : [0x0A]
                if chance(5) { out += Array("  \n".utf8) }
                if k == list.count - 1, chance(50) { out.removeLast() }
            }
        } else {
            out += Array((chance(20) ? "  [ " : "[\n").utf8)
            out += Array(list.map { $0 }.joined(separator: Array(",\n".utf8)))
            out += Array("\n]\n".utf8)
            if chance(15) { out = corrupt(out) }
        }
        return out
    }
}
