import RelayLoop
import XCTest

final class LineFramerTests: XCTestCase {
    /// Feeds `input` in the chunks given and collects what comes out, rendered as strings.
    private func frames(_ chunks: [[UInt8]], max: Int = 16, finish: Bool = false) -> [String] {
        var framer = LineFramer(maxLineLength: max)
        var out: [String] = []
        for chunk in chunks {
            framer.feed(chunk[...]) { frame in out.append(Self.render(frame)) }
        }
        if finish, let last = framer.finish() { out.append(Self.render(last)) }
        return out
    }

    private static func render(_ frame: LineFramer.Frame) -> String {
        switch frame {
        case .line(let bytes): return String(decoding: bytes, as: UTF8.self)
        // The length seen before the cut depends on where reads split; the report does not.
        case .tooLong: return "<too long>"
        }
    }

    /// Every way to cut `input` in two, plus byte by byte and all at once, must frame alike.
    private func assertFramesInEveryChunking(_ input: String, _ expected: [String], max: Int = 16,
                                             file: StaticString = #filePath, line: UInt = #line) {
        let bytes = Array(input.utf8)
        XCTAssertEqual(frames([bytes], max: max), expected, "all at once", file: file, line: line)
        XCTAssertEqual(frames(bytes.map { [$0] }, max: max), expected, "byte by byte", file: file, line: line)
        for split in 0...bytes.count {
            XCTAssertEqual(frames([Array(bytes[..<split]), Array(bytes[split...])], max: max), expected,
                           "split at \(split)", file: file, line: line)
        }
    }

    func testLinesEndAtLFOrCRLFAtEverySplitPoint() {
        assertFramesInEveryChunking("one\r\ntwo\nthree\r\n", ["one", "two", "three"])
    }

    func testALoneCREndsALineAtEverySplitPoint() {
        // Some clients end lines with CR alone; a CRLF split across reads stays one line end.
        assertFramesInEveryChunking("a\rb\r\r\nc\n", ["a", "b", "", "c"])
        assertFramesInEveryChunking("NICK bob\rUSER b 0 * :b\r", ["NICK bob", "USER b 0 * :b"])
    }

    func testATabStaysInTheLine() {
        assertFramesInEveryChunking("tab\there\n", ["tab\there"])
    }

    func testEmptyLinesAreLines() {
        assertFramesInEveryChunking("\n\r\nx\n", ["", "", "x"])
    }

    func testUnterminatedTailWaitsForMore() {
        XCTAssertEqual(frames([Array("done\nhalf".utf8)]), ["done"])
    }

    func testUnterminatedTailIsALastLineAtEOF() {
        XCTAssertEqual(frames([Array("done\nhalf".utf8)], finish: true), ["done", "half"])
    }

    func testNulBytesPassThroughForTheProtocolToJudge() {
        XCTAssertEqual(frames([[0x61, 0x00, 0x62, 0x0A]]), ["a\u{0}b"])
    }

    func testOverlongLineIsReportedOnceAndTheNextLineStillFrames() {
        let long = String(repeating: "x", count: 40)
        assertFramesInEveryChunking("ok\n\(long)\nnext\n", ["ok", "<too long>", "next"], max: 16)
    }

    func testOverlongLineIsReportedOnceWhateverTheReadSizes() {
        let long = Array(String(repeating: "y", count: 100).utf8) + [0x0A] + Array("after\n".utf8)
        for size in [1, 3, 7, 50, 200] {
            let chunks = stride(from: 0, to: long.count, by: size).map { Array(long[$0..<min($0 + size, long.count)]) }
            let out = frames(chunks, max: 16)
            XCTAssertEqual(out.count, 2, "chunk size \(size): \(out)")
            XCTAssertEqual(out[0], "<too long>", "chunk size \(size)")
            XCTAssertEqual(out[1], "after", "chunk size \(size)")
        }
    }

    func testAnOverlongLineIsReportedWithItsRealLengthWhateverTheReadSizes() {
        let input = Array((String(repeating: "y", count: 1000) + "\r\nok\n").utf8)
        for size in [1, 7, 16, 17, 100, 2000] {
            var framer = LineFramer(maxLineLength: 16)
            var out: [LineFramer.Frame] = []
            for start in stride(from: 0, to: input.count, by: size) {
                framer.feed(input[start..<min(start + size, input.count)]) { out.append($0) }
            }
            XCTAssertEqual(out, [.tooLong(length: 1000), .line(Array("ok".utf8)[...])], "chunk size \(size)")
        }
        var framer = LineFramer(maxLineLength: 4)
        framer.feed(Array("abcdefgh".utf8)[...]) { XCTFail("nothing yet: \($0)") }
        XCTAssertEqual(framer.finish(), .tooLong(length: 8), "an unterminated over-long tail at EOF")
    }

    func testALineOfExactlyTheLimitPassesWithItsCRLF() {
        let exact = String(repeating: "z", count: 16)
        assertFramesInEveryChunking("\(exact)\r\n", [exact])
        assertFramesInEveryChunking("\(exact)\r", [exact])
        assertFramesInEveryChunking("\(exact)z\r\nok\n", ["<too long>", "ok"], max: 16)
    }

    func testIdleFramerHoldsNoBytes() {
        var framer = LineFramer(maxLineLength: 512)
        framer.feed(Array("abc".utf8)[...]) { _ in }
        XCTAssertEqual(framer.bufferedByteCount, 3)
        framer.feed(Array("\n".utf8)[...]) { _ in }
        XCTAssertEqual(framer.bufferedByteCount, 0)
    }
}

final class LineFramerBudgetTests: XCTestCase {
    func testAFeedStopsAfterItsFramesAndTheRestFramesTheSameLater() {
        let stream = Array("a\r\nb\nc\rd\r\n\r\ne".utf8)[...]
        var whole = LineFramer(maxLineLength: 100)
        var expected: [LineFramer.Frame] = []
        whole.feed(stream) { expected.append($0) }
        var framer = LineFramer(maxLineLength: 100)
        var got: [LineFramer.Frame] = []
        var rest = stream
        var rounds = 0
        while !rest.isEmpty {
            let stop = framer.feed(rest, maxFrames: 2) { got.append($0) }
            rest = rest[stop...]
            rounds += 1
        }
        XCTAssertEqual(got, expected)
        XCTAssertEqual(rounds, 3, "five lines, two a turn")
        XCTAssertEqual(framer.finish(), .line(Array("e".utf8)[...]))
    }
}
