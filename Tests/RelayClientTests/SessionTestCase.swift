import RelayClient
import RelayIRC
import XCTest

/// A session named ana, in #ops, on a clock the test moves: lines in, lines out.
/// It asks for no IRCv3 capabilities unless a test turns them on
/// (IRCv3ClientTests): the other tests read the plain RFC exchange.
class SessionTestCase: XCTestCase {
    var now = ContinuousClock.now

    func session(_ configure: (inout SessionConfig) -> Void = { _ in }) -> ClientSession {
        var config = SessionConfig(nick: "ana")
        config.rooms = ["#ops"]
        config.requestCapabilities = false
        configure(&config)
        let session = ClientSession(config: config, now: now)
        session.start(now: now)
        return session
    }

    /// What the session sends now, without CRLF.
    func out(_ session: ClientSession) -> [String] {
        session.takeOutgoing(now: now).map { String(decoding: $0.dropLast(2), as: UTF8.self) }
    }

    @discardableResult
    func feed(_ session: ClientSession, _ line: String) -> [ClientEvent] {
        session.receive(ArraySlice(line.utf8), now: now)
    }
}
