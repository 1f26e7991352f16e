@testable import RelayServer
import XCTest

/// Which connections are people and which are IRC clients: the first line
/// decides only when it is a well-formed registration command, and a person who
/// happens to type one ("nick bob") is found out within two seconds.
final class DialectDetectionTests: XCTestCase {
    private let welcome = "-!- Welcome to relay, guest2! Type to talk, /help for commands."

    func testAWordThatIsNotWellFormedRegistrationMakesAPlainUserAtOnce() {
        for first in ["pass the salt", "user bob", "nick bad nick!", "cap", "cap off"] {
            let harness = Harness()
            let bob = harness.plainUser(nick: "bob")
            let ana = harness.connect()
            harness.send(ana, first)
            XCTAssertEqual(ana.take().first, welcome, first)
            XCTAssertEqual(bob.take().last, "<guest2> \(first)", "\(first): said in the room, not swallowed")
        }
    }

    func testAPersonTypingNickBobIsAPlainUserTwoSecondsLaterWithTheLineKept() {
        let harness = Harness()
        let bob = harness.plainUser(nick: "bob")
        let ana = harness.connect()
        harness.send(ana, "nick cy")
        harness.advance(by: .milliseconds(1999))
        XCTAssertEqual(ana.take(), [], "still possibly an IRC client")
        harness.advance(by: .milliseconds(1))
        XCTAssertEqual(ana.take().first, welcome)
        XCTAssertEqual(bob.take(), ["-!- guest2 joined #lobby", "<guest2> nick cy"])
    }

    func testAPersonWhoTypesOnAfterNickBobIsPlainAtOnce() {
        let harness = Harness()
        let bob = harness.plainUser(nick: "bob")
        let ana = harness.connect()
        harness.send(ana, "nick cy")
        harness.send(ana, "hello? anyone?")
        XCTAssertEqual(ana.take().first, welcome)
        XCTAssertEqual(bob.take(), ["-!- guest2 joined #lobby", "<guest2> nick cy", "<guest2> hello? anyone?"])
    }

    func testAnIRCClientThatSendsNickThenWaitsStaysIRC() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "NICK ana")
        harness.send(ana, "PING :x")  // a second IRC line settles it
        harness.advance(by: .seconds(5))
        harness.send(ana, "USER ana 0 * :Ana")
        XCTAssertTrue(ana.take().contains { $0.contains(" 001 ana ") })
    }

    func testRegistrationWithinTheTrialSettlesIt() {
        let harness = Harness()
        let ana = harness.connect()
        harness.send(ana, "CAP LS 302")
        harness.send(ana, "NICK ana")
        harness.send(ana, "USER ana 0 * :Ana")
        harness.send(ana, "CAP END")
        harness.advance(by: .seconds(5))
        let lines = ana.take()
        XCTAssertTrue(lines.contains { $0.contains(" 001 ana ") }, "\(lines)")
        XCTAssertFalse(lines.contains { $0.hasPrefix("-!-") })
    }
}
