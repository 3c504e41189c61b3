import Foundation
import XCTest
import Scorer
@testable import Select

/// The subset writer (framer + probe + decoder fallback) must write byte for byte what decoding every item
/// with `PoolReader` writes, the implementation it replaced, which is kept here as the reference.
final class SubsetWriterTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "select-subset-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { [dir] in try? FileManager.default.removeItem(atPath: dir) }
    }

    private struct Result: Equatable {
        var bytes: [UInt8]?
        var written = 0
        var poolItems = 0
        var missing: [Int64] = []
        var error: String?
    }

    /// The previous SubsetWriter.write: decode every item, write the accepted selected ones.
    private func reference(selected: Set<Int64>, pool: String, to path: String) -> Result {
        var r = Result()
        var found = Set<Int64>()
        do {
            let reader = try PoolReader(path: pool, options: .index)
            var out: [UInt8] = Array("[".utf8)
            while let item = try reader.next() {
                r.poolItems += 1
                let idx = Int64(item.idx)
                guard item.parseError == nil, selected.contains(idx), let raw = item.raw else { continue }
                out += Array((r.written == 0 ? "\n" : ",\n").utf8) + raw
                found.insert(idx)
                r.written += 1
            }
            out += Array((r.written == 0 ? "]\n" : "\n]\n").utf8)
            r.bytes = out
            r.missing = selected.subtracting(found).sorted()
        } catch {
            r = Result(error: SelectError.pool(error).description)
        }
        return r
    }

    private func current(selected: [Int64], pool: String, to path: String) -> Result {
        do {
            let o = try SubsetWriter.write(selected: selected, pool: pool, to: path)
            return Result(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: path))), written: o.written, poolItems: o.poolItems, missing: o.missing)
        } catch {
            return Result(error: "\(error)")
        }
    }

    func testRandomPoolsMatchTheDecodingWriter() throws {
        var fuzz = PoolFuzz(seed: 5)
        let pool = dir + "/pool.json", out = dir + "/subset.json"
        var nonEmpty = 0
        for round in 0..<400 {
            let n = fuzz.below(15)
            let bytes = fuzz.pool(items: n)
            try Data(bytes).write(to: URL(fileURLWithPath: pool))
            // Duplicates and idx outside the pool too; sometimes a sparse set far apart (the hashed IdxSet).
            var selected = (0..<fuzz.below(n + 3)).map { _ in Int64(fuzz.below(n + 6) - 3) }
            if round % 10 == 0 { selected += [Int64.max, -1_000_000_000_000] }
            let expected = reference(selected: Set(selected), pool: pool, to: out)
            XCTAssertEqual(current(selected: selected, pool: pool, to: out), expected, String(decoding: bytes, as: UTF8.self))
            if expected.written > 0 { nonEmpty += 1 }
        }
        XCTAssertGreaterThan(nonEmpty, 100)
    }

    func testExamplePoolMatches() throws {
        let pool = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../example/pool.json").standardized.path
        let n = try PoolReader.count(path: pool)
        let out = dir + "/subset.json"
        for stride in [1, 2, 3, 7] {
            let selected = (0..<Int64(n)).filter { $0 % Int64(stride) == 0 }
            XCTAssertEqual(current(selected: selected, pool: pool, to: out), reference(selected: Set(selected), pool: pool, to: out))
        }
    }

    /// The interned sources by idx against decoding every item into a map (what the official-folder input
    /// used before): positional pools, explicit and repeated idx (the later item wins), rejected items, and
    /// idx far apart (the hashed table).
    func testSourcesMatchDecodingEveryItem() throws {
        var fuzz = PoolFuzz(seed: 11)
        let pool = dir + "/pool.json"
        for round in 0..<300 {
            var bytes = fuzz.pool(items: fuzz.below(20))
            if round % 25 == 0 {
                bytes = Array("[{\"idx\": \(1 << 40), \"image\": \"far/1.jpg\", \"conversations\": []}, {\"idx\": -3, \"image_source\": \"neg\", \"conversations\": []}]".utf8)
            }
            try Data(bytes).write(to: URL(fileURLWithPath: pool))
            var expected: [Int64: String] = [:]
            var items = 0
            do {
                let reader = try PoolReader(path: pool, options: .index)
                while let item = try reader.next() {
                    items += 1
                    if item.parseError == nil { expected[Int64(item.idx)] = item.imageSource }
                }
            } catch {
                XCTAssertThrowsError(try SubsetWriter.sources(pool: pool))
                continue
            }
            let found = try SubsetWriter.sources(pool: pool)
            XCTAssertEqual(found.poolItems, items)
            let probes = Set(expected.keys).union((-4..<Int64(items + 4)).map { $0 }).union([1 << 40, Int64.min, Int64.max])
            for v in probes {
                XCTAssertEqual(found.source(of: v).map { found.names[$0] }, expected[v], "idx \(v) in \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    func testIdxSetBitmapAndHash() {
        for members in [[Int64](), [5], [3, 3, 9, 130, 64, 63], [0, Int64.max], [-5, 1 << 40, 7]] {
            let set = IdxSet(members)
            var found = IdxSet(emptyLike: set)
            for v in Int64(-70)...200 { XCTAssertEqual(set.contains(v), members.contains(v), "\(members) \(v)") }
            for v in [Int64.min, Int64.max, 1 << 40] { XCTAssertEqual(set.contains(v), members.contains(v)) }
            for v in members.prefix(2) { found.insert(v) }
            for v in members { XCTAssertEqual(found.contains(v), members.prefix(2).contains(v)) }
        }
    }
}
