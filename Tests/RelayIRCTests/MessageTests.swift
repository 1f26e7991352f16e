import RelayIRC
import XCTest

final class MessageTests: XCTestCase {
    private func parse(_ line: String) throws -> Message {
        try Message.parse(Array(line.utf8))
    }

    func testACommandWithNoParameters() throws {
        XCTAssertEqual(try parse("QUIT"), Message(command: "QUIT"))
        XCTAssertEqual(try parse("quit"), Message(command: "QUIT"), "commands are case-insensitive")
    }

    func testSourceCommandMiddleAndTrailing() throws {
        let message = try parse(":ana!a@host PRIVMSG #room :hello there")
        XCTAssertEqual(message.source, "ana!a@host")
        XCTAssertEqual(message.sourceNick, "ana")
        XCTAssertEqual(message.command, "PRIVMSG")
        XCTAssertEqual(message.params, ["#room", "hello there"])
    }

    func testAnEmptyTrailingIsAParameter() throws {
        XCTAssertEqual(try parse("TOPIC #room :").params, ["#room", ""])
    }

    func testATrailingMayStartWithAColonAndHoldSpaces() throws {
        XCTAssertEqual(try parse("PRIVMSG #r ::-) ok  two spaces").params, ["#r", ":-) ok  two spaces"])
    }

    func testRepeatedSpacesSeparateLikeOne() throws {
        XCTAssertEqual(try parse("  NICK    ana  ").params, ["ana"])
    }

    func testFifteenParameters() throws {
        let line = "CMD " + (1...14).map(String.init).joined(separator: " ") + " :fifteen and more"
        let message = try parse(line)
        XCTAssertEqual(message.params.count, 15)
        XCTAssertEqual(message.params.last, "fifteen and more")
    }

    func testNumericCommands() throws {
        XCTAssertEqual(try parse(":srv 001 ana :Welcome").command, "001")
        XCTAssertThrowsError(try parse(":srv 01 ana")) { XCTAssertEqual($0 as? ParseError, .invalidCommand) }
    }

    func testTagsAreParsedWithEscapes() throws {
        let message = try parse(#"@id=1;msg=a\sb\:c\\d\r\n;flag :ana PRIVMSG #r :hi"#)
        XCTAssertEqual(message.tags, ["id": "1", "msg": "a b;c\\d\r\n", "flag": ""])
        XCTAssertEqual(message.command, "PRIVMSG")
    }

    func testJunkNeverTraps() {
        let junk: [[UInt8]] = [[], [0x20], [0x3A], Array(":only-source".utf8), [0x40], Array("@tags-only".utf8),
                               [0xFF, 0xFE, 0x20, 0x41], Array(":x 12345".utf8), 
                               Array("@a=b :s".utf8), Array("NI!CK".utf8)]
        for bytes in junk {
            XCTAssertThrowsError(try Message.parse(bytes), "\(bytes)")
        }
        XCTAssertThrowsError(try Message.parse(Array("PRIVMSG a\u{0}b".utf8))) { XCTAssertEqual($0 as? ParseError, .containsNul) }
        XCTAssertThrowsError(try Message.parse(Array("005 an\n AWAYLEN=200".utf8))) { XCTAssertEqual($0 as? ParseError, .containsLineBreak) }
    }

    func testInvalidUTF8IsReplacedNotPassedOn() throws {
        let message = try Message.parse(Array("PRIVMSG #r :ok".utf8) + [0xC3])
        XCTAssertEqual(message.params[1], "ok\u{FFFD}")
    }

    func testLengthLimitsApplyToTheMessageAndTheTagsSeparately() throws {
        let body = "PRIVMSG #r :" + String(repeating: "x", count: 510 - 12)
        XCTAssertNoThrow(try parse(body))
        XCTAssertThrowsError(try parse(body + "x")) { XCTAssertEqual($0 as? ParseError, .tooLong) }
        let tags = "@k=" + String(repeating: "v", count: 8000) + " "
        XCTAssertNoThrow(try parse(tags + body), "tags do not count against 510")
        XCTAssertThrowsError(try parse("@k=" + String(repeating: "v", count: 8200) + " PING x")) {
            XCTAssertEqual($0 as? ParseError, .tagsTooLong)
        }
    }

    func testSerializeUsesTheTrailingFormOnlyWhenNeeded() {
        XCTAssertEqual(Message("NICK", "ana").line, "NICK ana")
        XCTAssertEqual(Message(source: "srv", "001", "ana", "Welcome home").line, ":srv 001 ana :Welcome home")
        XCTAssertEqual(Message("TOPIC", "#r", "").line, "TOPIC #r :")
        XCTAssertEqual(Message("PRIVMSG", "#r", ":)").line, "PRIVMSG #r ::)")
    }

    func testSerializeNeverEmitsCRLFOrNULInsideAField() {
        let bytes = Message("PRIVMSG", "#r", "one\r\nQUIT :pwned\u{0}").bytes
        XCTAssertEqual(bytes.filter { $0 == 0x0A }.count, 1)
        XCTAssertEqual(bytes.filter { $0 == 0x0D }.count, 1)
        XCTAssertFalse(bytes.contains(0))
        XCTAssertEqual(bytes.suffix(2), [0x0D, 0x0A])
    }

    func testNoFieldsLineBreakOrSpaceEverEndsItEarly() throws {
        // Found by fuzzing: a tag value holding "\r\n" (one Character) was not
        // escaped, became two spaces, and the rest of the value was read as the
        // command. A ";" or " " with a combining mark is one Character too.
        var message = Message("P", "x")
        message.tags = ["k": "a\r\nb; \u{301}c;\u{301}d"]
        let wire = message.bytes
        XCTAssertEqual(String(decoding: wire, as: UTF8.self), "@k=a\\r\\nb\\:\\s\u{301}c\\:\u{301}d P x\r\n")
        XCTAssertEqual(try Message.parse(wire.dropLast(2)), message)
        // A line break in a middle parameter (or the source) must not split it.
        let middle = Message(source: "a\rb", command: "KICK", params: ["#r", "x\ny", "bye"]).bytes
        XCTAssertEqual(String(decoding: middle, as: UTF8.self), ":a_b KICK #r x_y :bye\r\n")
    }

    func testALineTooLongIsCutAtACharacterBoundaryTo512Bytes() throws {
        let short = Array(":a PRIVMSG #x :hi\r\n".utf8)
        XCTAssertEqual(Message.cutToFit(short), short)
        // 505 ASCII bytes, then "é" (2 bytes) repeated: byte 510 falls inside one.
        let long = Array((":s 401 n " + String(repeating: "y", count: 496) + String(repeating: "é", count: 40) + " :No such nick\r\n").utf8)
        let cut = Message.cutToFit(long)
        XCTAssertEqual(cut.count, 511, "509 bytes of whole characters and CRLF")
        XCTAssertEqual(Array(cut.suffix(2)), [13, 10])
        XCTAssertNotNil(String(validating: cut, as: UTF8.self))
        XCTAssertEqual(try Message.parse(cut.dropLast(2)).command, "401")
        // A cut that would end in spaces drops them.
        let spaced = Array((":s NOTICE n :" + String(repeating: "z", count: 496) + String(repeating: " ", count: 30) + "\r\n").utf8)
        XCTAssertEqual(Message.cutToFit(spaced), Array((":s NOTICE n :" + String(repeating: "z", count: 496) + "\r\n").utf8))
    }

    func testRoundTrip() throws {
        let messages = [
            Message(source: "ana!a@h", "PRIVMSG", "#room", "hello: world"),
            Message(command: "MODE", params: ["#room", "+ov", "ana", "bob"]),
            Message(source: "srv", "353", "ana", "=", "#room", "@ana +bob cy"),
            Message(tags: ["k": "a b;c"], source: "s", command: "NOTICE", params: ["*", "x"]),
            Message("PING", "token"),
        ]
        for message in messages {
            XCTAssertEqual(try Message.parse(message.bytes.dropLast(2)), message)
        }
    }
}

final class MessageFittingTests: XCTestCase {
    func testFittedCutsOnlyTheLastParameterOrRefuses() {
        let long = String(repeating: "é", count: 400)
        let fitted = Message("PRIVMSG", "#room", long).fitted()!
        XCTAssertLessThanOrEqual(fitted.count, 512)
        XCTAssertEqual(fitted.suffix(2), [13, 10])
        XCTAssertNotNil(String(validating: fitted, as: UTF8.self), "cut between characters")
        XCTAssertTrue(fitted.starts(with: Array("PRIVMSG #room :é".utf8)))
        XCTAssertEqual(Message("PRIVMSG", "#room", "short").fitted(), Message("PRIVMSG", "#room", "short").bytes)
        let hugeTarget = String(repeating: "n", count: 600)
        XCTAssertNil(Message("NOTICE", hugeTarget, "hi").fitted(), "the cut would fall in the target: not sent")
        XCTAssertEqual(Message.cutToFit(Message("NOTICE", hugeTarget, "hi").bytes).count, 512, "the server's cut still sends 512")
    }
}

final class ServerTimeTests: XCTestCase {
    func testFormatsAndParsesTheTimeTag() {
        XCTAssertEqual(ServerTime.format(millis: 1_700_000_000_123), "2023-11-14T22:13:20.123Z")
        XCTAssertEqual(ServerTime.format(millis: 5), "1970-01-01T00:00:00.005Z")
        XCTAssertEqual(ServerTime.parse("2023-11-14T22:13:20.123Z"), 1_700_000_000_123)
        XCTAssertEqual(ServerTime.parse("2023-11-14T22:13:20Z"), 1_700_000_000_000)
        XCTAssertEqual(ServerTime.parse("2023-11-14T22:13:20.1Z"), 1_700_000_000_100)
        XCTAssertEqual(ServerTime.parse("2023-11-14T22:13:20.123456789Z"), 1_700_000_000_123)
        XCTAssertEqual(ServerTime.parse("2000-02-29T00:00:00.000Z"), 951_782_400_000)
        for bad in ["", "yesterday", "2023-11-14 22:13:20Z", "2023-13-14T22:13:20Z", "2023-11-14T22:13:20.Z",
                    "2023-11-14T22:13:20.1234567890Z", "2023-11-14T22:13:20", "2023-11-14T22:13:2xZ"] {
            XCTAssertNil(ServerTime.parse(bad), bad)
        }
    }

    func testAddingATagJoinsOrStartsTheTags() {
        XCTAssertEqual(String(decoding: Message.addingTag("label", "a b", to: Array(":s PONG s :x\r\n".utf8)), as: UTF8.self),
                       "@label=a\\sb :s PONG s :x\r\n")
        XCTAssertEqual(String(decoding: Message.addingTag("batch", "1", to: Array("@time=t :s X\r\n".utf8)), as: UTF8.self),
                       "@batch=1;time=t :s X\r\n")
    }
}

final class CTCPTests: XCTestCase {
    func testAnActionIsBuiltAndReadOneWay() {
        XCTAssertEqual(CTCP.action("waves"), "\u{1}ACTION waves\u{1}")
        XCTAssertEqual(CTCP.actionText("\u{1}ACTION waves\u{1}"), "waves")
        XCTAssertEqual(CTCP.actionText("\u{1}ACTION waves"), "waves", "a missing closing byte is forgiven")
        XCTAssertNil(CTCP.actionText("\u{1}VERSION\u{1}"))
        XCTAssertNil(CTCP.actionText("ACTION waves"))
    }
}
