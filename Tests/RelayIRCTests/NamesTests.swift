import RelayIRC
import XCTest

final class NamesTests: XCTestCase {
    func testRFC1459CasemappingFoldsBracketsAndTilde() {
        XCTAssertEqual(Casemapping.fold("Ana[X]\\~"), "ana{x}|^")
        XCTAssertTrue(Casemapping.equal("NICK[1]", "nick{1}"))
        XCTAssertFalse(Casemapping.equal("ana", "anna"))
    }

    func testValidNicks() {
        for nick in ["ana", "Bob_", "[x]", "`tick", "a-1", "|pipe|", "x\\y"] {
            XCTAssertTrue(Names.isValidNick(nick, maxLength: 30), nick)
        }
        for nick in ["", "1abc", "-dash", "sp ace", "a,b", "a!b", "a@b", "#chan", "é", String(repeating: "a", count: 31)] {
            XCTAssertFalse(Names.isValidNick(nick, maxLength: 30), nick)
        }
    }

    func testValidChannels() {
        XCTAssertTrue(Names.isValidChannel("#lobby", maxLength: 50))
        XCTAssertTrue(Names.isValidChannel("#日本", maxLength: 50))
        for name in ["lobby", "#", "#a b", "#a,b", "#a\u{7}", "#a:b", "#" + String(repeating: "x", count: 50)] {
            XCTAssertFalse(Names.isValidChannel(name, maxLength: 50), name)
        }
    }

    func testMaskMatching() {
        XCTAssertTrue(Names.matches(mask: "*!*@127.0.0.1", "ana!a@127.0.0.1"))
        XCTAssertTrue(Names.matches(mask: "AN?!*@*", "ana!a@h"))
        XCTAssertTrue(Names.matches(mask: "*", ""))
        XCTAssertFalse(Names.matches(mask: "bob!*@*", "ana!a@h"))
        XCTAssertTrue(Names.matches(mask: "a*b*c", "axxbyyc"))
        XCTAssertFalse(Names.matches(mask: "a*b*c", "axxbyy"))
    }

    func testSplitterKeepsEveryByteAndBreaksBetweenWords() {
        let text = (1...200).map { "word\($0)" }.joined(separator: " ")
        let pieces = TextSplitter.split(text, maxBytes: 100)
        XCTAssertTrue(pieces.allSatisfy { $0.utf8.count <= 100 })
        XCTAssertEqual(pieces.joined(separator: " "), text)
        XCTAssertTrue(pieces.dropLast().allSatisfy { !$0.hasSuffix(" ") && !$0.hasPrefix(" ") })
    }

    func testSplitterNeverBreaksAUTF8Character() {
        let text = String(repeating: "é€😀", count: 100)
        let pieces = TextSplitter.split(text, maxBytes: 50)
        XCTAssertTrue(pieces.allSatisfy { $0.utf8.count <= 50 && !$0.contains("\u{FFFD}") })
        XCTAssertEqual(pieces.joined(), text)
    }

    func testShortTextIsOnePiece() {
        XCTAssertEqual(TextSplitter.split("hi", maxBytes: 10), ["hi"])
    }
}

final class TextSplitterTests: XCTestCase {
    func testEveryPositiveWidthIsServedWithoutCuttingACharacter() {
        let text = "ab žluť 😀 x"
        for width in 1...20 {
            let pieces = TextSplitter.split(text, maxBytes: width)
            XCTAssertFalse(pieces.joined().contains("\u{FFFD}"), "width \(width)")
            XCTAssertTrue(pieces.allSatisfy { $0.utf8.count <= max(width, 4) }, "width \(width): \(pieces)")
            XCTAssertEqual(pieces.joined().filter { $0 != " " }, text.filter { $0 != " " }, "width \(width)")
        }
        XCTAssertEqual(TextSplitter.split("😀😀", maxBytes: 1), ["😀", "😀"], "a character wider than the limit goes alone")
        XCTAssertEqual(TextSplitter.split("abc", maxBytes: 0), ["a", "b", "c"])
    }

    func testPrefixCutsBetweenCharacters() {
        XCTAssertEqual(TextSplitter.prefix("héllo", maxBytes: 2), "h")
        XCTAssertEqual(TextSplitter.prefix("héllo", maxBytes: 3), "hé")
        XCTAssertEqual(TextSplitter.prefix("😀", maxBytes: 3), "")
        XCTAssertEqual(TextSplitter.prefix("ok", maxBytes: 9), "ok")
    }
}
