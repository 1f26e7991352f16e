import RelayClient
import XCTest

/// `relay connect`'s scriptable decisions, without a process or a socket.
final class ScriptPolicyTests: XCTestCase {
    func testASendIsConfirmedThenExitsZero() {
        let policy = ScriptPolicy(options: .init(hasTexts: true))
        XCTAssertEqual(policy.registered(), [.sendTexts, .confirm])
        policy.sent("backup done", to: ["#ops"])
        policy.confirmationQueued(token: "t1")
        XCTAssertEqual(policy.confirmed(token: "other"), [], "not ours")
        XCTAssertEqual(policy.confirmed(token: "t1"), [.finish(status: 0, reason: nil)])
        XCTAssertEqual(policy.disconnected(reason: "closed", address: "h:1"), [.stopNow])
    }

    func testARefusalFailsTheRunNamingTheNumeric() {
        let policy = ScriptPolicy(options: .init(hasTexts: true))
        _ = policy.registered()
        policy.sent("hi", to: ["#quiet"])
        policy.confirmationQueued(token: "t1")
        policy.refused(code: "404", subject: "#quiet", text: "Cannot send to channel")
        XCTAssertEqual(policy.confirmed(token: "t1"), [.finish(status: 1, reason: "#quiet: 404 Cannot send to channel")])
    }

    func testNoJoinFallsBackToJoinSendPartOnce() {
        let policy = ScriptPolicy(options: .init(hasTexts: true, noJoin: true))
        _ = policy.registered()
        policy.sent("one", to: ["#ops"])
        policy.sent("two", to: ["#ops"])
        policy.confirmationQueued(token: "t1")
        policy.refused(code: "404", subject: "#OPS", text: "Cannot send to channel")
        policy.refused(code: "404", subject: "#ops", text: "Cannot send to channel")
        XCTAssertEqual(policy.confirmed(token: "t1"), [.retryWithJoin(room: "#ops", texts: ["one", "two"]), .confirm])
        policy.confirmationQueued(token: "t2")
        XCTAssertEqual(policy.confirmed(token: "t2"), [.finish(status: 0, reason: nil)])
    }

    func testStdinIsConfirmedWhenItEnds() {
        let policy = ScriptPolicy(options: .init(readStdin: true))
        XCTAssertEqual(policy.registered(), [.readStdin])
        policy.inputRefused("stdin: a line of 20000 bytes is longer than 16384 and was not sent")
        XCTAssertEqual(policy.stdinEnded(), [.confirm])
        policy.confirmationQueued(token: "t")
        XCTAssertEqual(policy.confirmed(token: "t"), [.finish(status: 1, reason: "stdin: a line of 20000 bytes is longer than 16384 and was not sent")])
    }

    func testAStayLoggerReconnectsAfterRestartsButNotAfterRefusals() {
        let policy = ScriptPolicy(options: .init(stay: true))
        XCTAssertEqual(policy.registered(), [.confirm])
        policy.confirmationQueued(token: "t")
        XCTAssertEqual(policy.confirmed(token: "t"), [], "keeps logging")
        XCTAssertEqual(policy.failed(.closedByServer("Closing Link: x (Server shutting down)"), address: "h:1"),
                       [.close(note: "h:1: the server closed the connection: Closing Link: x (Server shutting down)")])
        XCTAssertEqual(policy.disconnected(reason: "Remote host closed the connection", address: "h:1"),
                       [.reconnect(reason: "Remote host closed the connection")])
        XCTAssertEqual(policy.registered(), [], "after a reconnect the work is done already")
        XCTAssertEqual(policy.failed(.banned("K-lined"), address: "h:1"),
                       [.finish(status: 3, reason: "h:1: the server refused the connection: K-lined")])
    }

    func testAOneShotRunEndsOnAnyLossWithAReason() {
        let policy = ScriptPolicy(options: .init(hasTexts: true))
        XCTAssertEqual(policy.disconnected(reason: "resolve nosuch.invalid: Name or service not known", address: "nosuch.invalid:6667"),
                       [.finish(status: 1, reason: "resolve nosuch.invalid: Name or service not known"), .stopNow])
        let other = ScriptPolicy(options: .init(hasTexts: true))
        XCTAssertEqual(other.disconnected(reason: "Connection reset by peer", address: "h:1"),
                       [.finish(status: 1, reason: "h:1: Connection reset by peer"), .stopNow])
        let password = ScriptPolicy(options: .init(hasTexts: true))
        XCTAssertEqual(password.failed(.passwordRefused, address: "h:1"), [.finish(status: 3, reason: "h:1: the server refused the password")])
    }

    func testSignals() {
        let sending = ScriptPolicy(options: .init(hasTexts: true))
        XCTAssertEqual(sending.interrupted(), [.finish(status: 1, reason: "interrupted")])
        XCTAssertEqual(sending.interrupted(), [.stopNow], "a second signal: at once")
        let logger = ScriptPolicy(options: .init(stay: true))
        _ = logger.registered()
        XCTAssertEqual(logger.interrupted(), [.finish(status: 0, reason: nil)], "a logger told to stop has done its job")
    }
}
