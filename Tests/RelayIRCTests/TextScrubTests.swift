import RelayIRC
import XCTest

final class TextScrubTests: XCTestCase {
    func testOneLineTurnsEveryLineBreakAndNulIntoASpace() {
        XCTAssertEqual(TextScrub.oneLine("a\r\nb\rc\nd\0e"), "a  b c d e")
        XCTAssertEqual(TextScrub.oneLine("plain"), "plain")
    }

    func testPrintableDropsC0DelAndC1AndKeepsEverythingElse() {
        XCTAssertEqual(TextScrub.printable("\u{1B}]0;title\u{7}hi\u{9B}31m\tthere\u{7F}"), "]0;titlehi31m there")
        XCTAssertEqual(TextScrub.printable("žluťoučký kůň 😀 \u{A0}"), "žluťoučký kůň 😀 \u{A0}")
    }

    func testTheByteFormAgreesWithTheStringForm() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Unicode.Scalar] = ["a", "\t", "\u{1B}", "\u{7F}", "\u{80}", "\u{9F}", "\u{A0}", "\u{C2}", "é", "\u{85}", "😀", "\u{0}"]
        for _ in 0..<500 {
            var view = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &generator) { view.append(alphabet.randomElement(using: &generator)!) }
            let text = String(view)
            var bytes: [UInt8] = []
            TextScrub.printable(utf8: text.utf8, into: &bytes)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), TextScrub.printable(text), text.debugDescription)
        }
    }
}
