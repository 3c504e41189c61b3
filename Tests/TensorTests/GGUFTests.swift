import Foundation
import XCTest
@testable import Tensor

final class GGUFTests: XCTestCase {
    func fixturePath(_ name: String) throws -> String {
        try XCTUnwrap(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path
    }

    func temporaryFile(_ bytes: [UInt8], _ name: String = #function) throws -> String {
        let path = NSTemporaryDirectory() + "mmssr-gguf-\(getpid())-\(name.filter(\.isLetter)).gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return path
    }

    /// A file written by the `gguf` PyPI package (tools/make_gguf_fixture.py): every metadata type and
    /// F32, F16, I8, Q8_0 tensors, shapes in numpy order.
    func testReadsFileWrittenByGGUFPy() throws {
        let file = try GGUFFile(path: try fixturePath("gguf_py.gguf"))
        XCTAssertEqual(file.version, 3)
        XCTAssertEqual(try file.string("general.architecture"), "mmssr-test")
        XCTAssertEqual(file.value("t.u8"), .uint8(200))
        XCTAssertEqual(file.value("t.i8"), .int8(-100))
        XCTAssertEqual(file.value("t.u16"), .uint16(60000))
        XCTAssertEqual(file.value("t.i16"), .int16(-30000))
        XCTAssertEqual(file.value("t.u32"), .uint32(4_000_000_000))
        XCTAssertEqual(file.value("t.i32"), .int32(-2_000_000_000))
        XCTAssertEqual(file.value("t.u64"), .uint64((1 << 40) + 3))
        XCTAssertEqual(file.value("t.i64"), .int64(-(1 << 40) - 3))
        XCTAssertEqual(file.value("t.f32"), .float32(1.5e-6))
        XCTAssertEqual(file.value("t.f64"), .float64(3.141592653589793))
        XCTAssertEqual(try file.bool("t.bool"), true)
        XCTAssertEqual(try file.string("t.str"), "héllo wörld ✓ 中文")
        XCTAssertEqual(try file.strings("t.strs"), ["a", "", "ß", "[UNK]"])
        XCTAssertEqual(try file.floats("t.floats"), [0.485, 0.456, 0.406])
        XCTAssertEqual(file.value("t.ints")?.description.hasSuffix("[1, -2, 3]"), true)

        let expected = try loadFixture("gguf_py.json").dict("tensors")
        for (name, value) in expected {
            let e = value as! [String: Any]
            let info = try XCTUnwrap(file.info(name))
            XCTAssertEqual(info.shape, e.ints("shape"), name)
            XCTAssertEqual(info.type.name, e["type"] as? String, name)
            XCTAssertEqual(try file.floats(tensor: name), e.floats("values"), name)
        }
        XCTAssertEqual(try file.int8s(tensor: "i8").map(Float.init), expected.dict("i8").floats("values"))
    }

    func testRoundTripThroughOurWriter() throws {
        var w = GGUFWriter()
        let values: [GGUFValue] = [.uint8(1), .int8(-1), .uint16(2), .int16(-2), .uint32(3), .int32(-3), .uint64(4), .int64(-4),
                                   .float32(0.25), .float64(-0.5), .bool(false), .string("ok ✓"),
                                   .array(.string, [.string("x"), .string("y")]), .array(.float32, []),
                                   .array(.int32, [.int32(7), .int32(-7)])]
        for (i, v) in values.enumerated() { w.set("k\(i)", v) }
        var rng = SystemRandomNumberGenerator()
        let f = (0..<24).map { _ in Float.random(in: -3...3, using: &rng) }
        let q = (0..<64).map { _ in Float.random(in: -1...1, using: &rng) }
        let i8 = (0..<10).map { _ in Int8.random(in: -128...127, using: &rng) }
        w.addTensor("a", shape: [2, 3, 4], floats: f)
        w.addTensor("h", shape: [24], floats: f, as: .f16)
        w.addTensor("q", shape: [2, 32], floats: q, as: .q8_0)
        w.addTensor("i", shape: [10], int8s: i8)
        let path = try temporaryFile(w.encoded())
        let file = try GGUFFile(path: path)
        XCTAssertEqual(file.metadata.map(\.key), (0..<values.count).map { "k\($0)" })
        XCTAssertEqual(file.metadata.map(\.value), values)
        XCTAssertEqual(try file.floats(tensor: "a", shape: [2, 3, 4]), f)
        XCTAssertEqual(try file.floats(tensor: "h"), f.map { Float(Float16($0)) })
        XCTAssertEqual(try file.int8s(tensor: "i"), i8)
        // Q8_0: half a quantisation step, plus the f16 rounding of the stored step (2^-11 relative) times |q| <= 127.
        let deq = try file.floats(tensor: "q")
        for b in 0..<2 {
            let step = q[b * 32 ..< (b + 1) * 32].map(abs).max()! / 127
            for j in b * 32 ..< (b + 1) * 32 { XCTAssertLessThanOrEqual(abs(deq[j] - q[j]), step * (0.5 + 127.0 / 2048) * 1.001) }
        }
        for t in file.tensors { XCTAssertEqual(t.offset % file.alignment, 0, t.name) }
        XCTAssertThrowsError(try file.floats(tensor: "a", shape: [4, 6]))
        XCTAssertThrowsError(try file.floats(tensor: "missing"))
    }

    /// `write(to:)` creates a new file and replaces an existing one, leaving no temporary behind.
    func testWriteCreatesAndReplacesFiles() throws {
        let path = NSTemporaryDirectory() + "mmssr-gguf-write-\(getpid()).gguf"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try? FileManager.default.removeItem(atPath: path)
        for value in ["first", "second"] {
            var w = GGUFWriter()
            w.set("general.name", .string(value))
            try w.write(to: path)
            XCTAssertEqual(try GGUFFile(path: path).string("general.name"), value)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".tmp"))
    }

    func assertRejected(_ bytes: [UInt8], containing text: String, at offset: Int? = nil, line: UInt = #line) throws {
        let path = try temporaryFile(bytes, "corrupt\(line)")
        do {
            _ = try GGUFFile(path: path)
            XCTFail("accepted a corrupt file (\(text))", line: line)
        } catch {
            XCTAssertTrue(error.description.contains(path), "error does not name the file: \(error)", line: line)
            XCTAssertTrue(text.isEmpty || error.description.contains(text), "\(error) lacks '\(text)'", line: line)
            XCTAssertNotNil(error.offset, "no byte offset in \(error)", line: line)
            if let offset { XCTAssertEqual(error.offset, offset, "\(error)", line: line) }
        }
    }

    func testCorruptFilesGiveErrorsWithFileAndOffset() throws {
        var w = GGUFWriter()
        w.set("general.name", .string("x"))
        w.addTensor("t", shape: [8], floats: [Float](repeating: 1, count: 8))
        let good = w.encoded()
        XCTAssertNoThrow(try GGUFFile(path: try temporaryFile(good)))

        try assertRejected([], containing: "truncated")
        try assertRejected(Array("GGML".utf8) + good.dropFirst(4), containing: "bad magic", at: 0)
        var version = good; version[4] = 9
        try assertRejected(version, containing: "version 9", at: 4)
        // Truncation at every point of the header is an error, never a crash.
        let headerEnd = good.count - 32
        for cut in stride(from: 1, to: headerEnd, by: 3) {
            try assertRejected(Array(good.prefix(cut)), containing: "")
        }
        // Tensor data cut short: the tensor lies outside the file.
        try assertRejected(Array(good.prefix(good.count - 4)), containing: "outside the file")
        // Unknown tensor type: the type field sits just before the 8-byte data offset that ends the info.
        let infoEnd = tensorInfoEnd(good)
        var badType = good
        badType.replaceSubrange(infoEnd - 12 ..< infoEnd - 8, with: [99, 0, 0, 0])
        try assertRejected(badType, containing: "unknown type 99")
        var farOffset = good
        farOffset.replaceSubrange(infoEnd - 8 ..< infoEnd, with: [0, 0, 0, 0, 0, 1, 0, 0])
        try assertRejected(farOffset, containing: "outside the file")
        var badKeyType = good
        // After magic, version, counts (24 bytes) comes the first key: u64 length + "general.name", then its type.
        badKeyType[24 + 8 + 12] = 77
        try assertRejected(badKeyType, containing: "unknown metadata type 77", at: 24 + 8 + 12)
        var hugeCount = good
        hugeCount.replaceSubrange(16 ..< 24, with: [0, 0, 0, 0, 0, 0, 0, 1])
        try assertRejected(hugeCount, containing: "implausible")
    }

    /// Array counts that claim the rest of the file (or 2^60 elements) are refused before anything is built per
    /// element: the u8 case used to box every byte as a metadata value (3.6 GB for a 100 MB file) before its error.
    func testArrayCountsClaimingTheFileFailWithoutAllocating() throws {
        func header(tensors: UInt64, arrayType: UInt32, count: UInt64) -> [UInt8] {
            func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
            let key = Array("x".utf8)
            return le(GGUFFile.magic) + le(UInt32(3)) + le(tensors) + le(UInt64(1))
                + le(UInt64(key.count)) + key + le(GGUFValueType.array.rawValue) + le(arrayType) + le(count)
        }
        let payload = 48 << 20
        var claimsRest = header(tensors: 1, arrayType: GGUFValueType.uint8.rawValue, count: UInt64(payload))
        claimsRest += [UInt8](repeating: 7, count: payload)
        let before = peakResidentBytes()
        let clock = ContinuousClock()
        let started = clock.now
        try assertRejected(claimsRest, containing: "truncated")
        XCTAssertLessThan(peakResidentBytes() - before, 400 << 20, "the header walk allocated per element")
        XCTAssertLessThan(clock.now - started, .seconds(5))
        try assertRejected(header(tensors: 0, arrayType: GGUFValueType.uint8.rawValue, count: 1 << 60), containing: "exceeds", at: 24 + 8 + 1 + 4 + 4)
        try assertRejected(header(tensors: 0, arrayType: GGUFValueType.uint32.rawValue, count: 1 << 62) + [0, 0, 0, 0], containing: "exceeds")
        try assertRejected(header(tensors: 0, arrayType: GGUFValueType.string.rawValue, count: 3) + [UInt8](repeating: 0xFF, count: 24), containing: "")
    }

    /// The process's peak resident set so far (Linux reports ru_maxrss in KiB).
    func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }

    /// End of the tensor-info section of a file our writer made with one metadata string and one tensor "t".
    func tensorInfoEnd(_ bytes: [UInt8]) -> Int {
        let name = Array("t".utf8)
        // The info is: u64 len, name, u32 dims, u64 ne0, u32 type, u64 offset.
        for i in 24..<bytes.count - 9 where bytes[i] == 1 && bytes[i + 1 ..< i + 8].allSatisfy({ $0 == 0 }) && bytes[i + 8] == name[0] {
            return i + 8 + 1 + 4 + 8 + 4 + 8
        }
        return -1
    }
}
