import Scorer
@testable import Select
import Tensor
import XCTest

/// `PoolItemProbe` may say "unsure" freely, but when it vouches for an item the pool decoder must accept
/// that item with the same idx; and it should vouch for the plain items pools are made of.
final class PoolItemProbeTests: XCTestCase {
    private func probe(_ text: String) -> PoolItemProbe.Verdict {
        Array(text.utf8).withUnsafeBufferPointer { PoolItemProbe.probe($0) }
    }

    private func decoded(_ bytes: [UInt8], position: Int = 5) -> PoolItem {
        bytes.withUnsafeBufferPointer { PoolItem.decodeIndex($0, position: position, byteOffset: 0) }
    }

    /// The probe's claim, if any, agrees with the decoder.
    private func assertSound(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        let verdict = bytes.withUnsafeBufferPointer { PoolItemProbe.probe($0) }
        guard case let .valid(idx, source) = verdict else { return }
        let item = decoded(bytes)
        XCTAssertNil(item.parseError, String(decoding: bytes, as: UTF8.self), file: file, line: line)
        XCTAssertEqual(Int64(item.idx), idx ?? 5, String(decoding: bytes, as: UTF8.self), file: file, line: line)
        let text = { (r: Range<Int>) in String(decoding: bytes[r], as: UTF8.self) }
        switch source {
        case .empty: XCTAssertEqual(item.imageSource, "", file: file, line: line)
        case let .explicit(r): XCTAssertEqual(item.imageSource, text(r), file: file, line: line)
        case let .firstImage(r): XCTAssertEqual(item.imageSource, PoolItem.defaultImageSource(images: [text(r)]), file: file, line: line)
        case .undetermined: break
        }
    }

    private let conv = #""conversations":[{"from":"human","value":"<image>\nQ?"},{"from":"gpt","value":"A"}]"#

    func testVouchesForPlainItems() {
        func range(_ text: String, _ inner: String) -> Range<Int> {
            let bytes = Array(text.utf8), needle = Array(inner.utf8)
            let start = (0...(bytes.count - needle.count)).first { Array(bytes[$0 ..< $0 + needle.count]) == needle }!
            return start ..< start + needle.count
        }
        let items: [(String, Int64?, (String) -> PoolItemProbe.Source)] = [
            (#"{"id":"s0","image":"a/0.jpg",\#(conv)}"#, nil, { .firstImage(range($0, "a/0.jpg")) }),
            (#"{"idx": 17, "id":"s0","image":["a/0.jpg","b/1.jpg"],\#(conv)}"#, 17, { _ in .undetermined }),
            (#"{"idx":-3,\#(conv)}"#, -3, { _ in .empty }),
            (#"{"idx":null,"image":null,"image_source":"coco",\#(conv)}"#, nil, { .explicit(range($0, "coco")) }),
            (#"{"image_source":"ocr","image":["a/0.jpg"],\#(conv)}"#, nil, { .explicit(range($0, "ocr")) }),
            (#"{"image":"a\/0.jpg",\#(conv)}"#, nil, { _ in .undetermined }),
            (#"{"image_source":"c\u006fco",\#(conv)}"#, nil, { _ in .undetermined }),
            (#"  {"x":"esc \" quote ] } , \\ \/ \b\f\n\r\t","y":{"z":[1,-2.5e-3,true,false,null,{}]},\#(conv)}  "#, nil, { _ in .empty }),
            (#"{"text":"brackets [{ inside }] strings","deep":[[[[{"a":[{"b":"c"}]}]]]],\#(conv)}"#, nil, { _ in .empty }),
            (#"{"u":"é中文😀","e":"\u00e9\u4E2D\ud83d\ude00",\#(conv)}"#, nil, { _ in .empty }),
            (#"{"conversations":[]}"#, nil, { _ in .empty }),
        ]
        for (text, idx, source) in items {
            XCTAssertEqual(probe(text), .valid(idx: idx, source: source(text)), text)
            assertSound(Array(text.utf8))
        }
    }

    func testUnsureOnWhatItDoesNotCheck() {
        for text in [
            #"{"idx":1.0,\#(conv)}"#, #"{"idx":"3",\#(conv)}"#, #"{"idx":1,"idx":2,\#(conv)}"#, #"{"\u0069dx":4,\#(conv)}"#,
            #"{"id":7,\#(conv)}"#, #"{"image":[1],\#(conv)}"#, #"{"image_source":3,\#(conv)}"#,
            #"{"idx":1234567890123456789,\#(conv)}"#,
            "{\"a\":" + String(repeating: "[", count: 70) + String(repeating: "]", count: 70) + ",\(conv)}",
        ] {
            XCTAssertEqual(probe(text), .unsure, text)
        }
    }

    func testMalformedItemsAreNeverVouchedFor() {
        for text in [
            "", "   ", "[]", "\"s\"", "{}", #"{"id":"s"}"#, #"{\#(conv)"#, #"{\#(conv)}}"#, #"{\#(conv)} x"#,
            #"{"a":"unterminated,\#(conv)}"#, #"{"a":"bad \x escape",\#(conv)}"#, #"{"a":"\u12",\#(conv)}"#,
            #"{"a":"\ud83d alone",\#(conv)}"#, #"{"a":"\ude00 low",\#(conv)}"#, #"{"a":01,\#(conv)}"#,
            #"{"a":1.,\#(conv)}"#, #"{"a":-,\#(conv)}"#, #"{"a":tru,\#(conv)}"#, #"{"a":[1,],\#(conv)}"#,
            #"{"a":{"b"},\#(conv)}"#, #"{"a":1 "b":2,\#(conv)}"#, #"{a:1,\#(conv)}"#, #"{"a":[}],\#(conv)}"#,
            "{\"a\":\"tab\tin string\",\(conv)}", #"{"idx":-,\#(conv)}"#, #"{"idx":1e3,\#(conv)}"#,
        ] {
            XCTAssertEqual(probe(text), .unsure, text)
            XCTAssertNotNil(decoded(Array(text.utf8)).parseError, text)
        }
    }

    /// Raw bytes inside a string: the probe's UTF-8 check must match Swift's on every byte sequence it sees.
    func testUTF8CheckMatchesSwift() {
        var rng = SplitMix64(seed: 3)
        let interesting: [UInt8] = [0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xA0, 0x9F, 0xED, 0xEF, 0xF0, 0x90, 0x8F, 0xF4, 0xF5, 0xFF]
        let prefix = Array("{\(conv),\"s\":\"".utf8), suffix = Array("\"}".utf8)
        for round in 0..<20_000 {
            let n = 1 + Int(rng.uniform(below: 6))
            let raw: [UInt8] = (0..<n).map { _ in
                round % 2 == 0 ? interesting[Int(rng.uniform(below: UInt64(interesting.count)))] : UInt8(0x80 + rng.uniform(below: 0x80))
            }
            let bytes = prefix + raw + suffix
            let swiftValid = String(validating: raw, as: UTF8.self) != nil
            let verdict = bytes.withUnsafeBufferPointer { PoolItemProbe.probe($0) }
            XCTAssertEqual(verdict == .valid(idx: nil, source: .empty), swiftValid, "\(raw)")
            XCTAssertEqual(decoded(bytes).parseError == nil, swiftValid, "\(raw)")
        }
    }

    func testRandomAndDamagedItemsAreSound() {
        var fuzz = PoolFuzz(seed: 11)
        var vouched = 0
        for k in 0..<20_000 {
            var bytes = Array(fuzz.item(position: k).utf8)
            if k % 2 == 1 { bytes = fuzz.corrupt(bytes) }
            if case .valid = bytes.withUnsafeBufferPointer({ PoolItemProbe.probe($0) }) { vouched += 1 }
            assertSound(bytes)
        }
        // About half of the undamaged fuzz items are plain enough to vouch for; the fast path must actually be taken.
        XCTAssertGreaterThan(vouched, 3_000)
    }
}
