import RelayClient
import RelayIRC

/// The client session fed arbitrary server lines (SASL, NickServ, bot mode,
/// history and relaymsg on by the first byte, so their paths are fuzzed too;
/// the dictionary's CAP and BATCH lines reach the IRCv3 ones), then asked to say a fuzzed text: it never
/// emits a line break or NUL inside a line, and nothing it sends passes 512 bytes.
enum SessionTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        let mode = cursor.byte()
        var config = SessionConfig(nick: "ana")
        config.rooms = ["#ops"]
        if mode & 1 != 0 { config.sasl = SASLLogin(mechanism: mode & 2 != 0 ? .external : .plain, user: "ana", password: "pw",
                                                   optional: mode & 4 != 0) }
        if mode & 8 != 0 { config.nickservPassword = "pw" }
        config.botMode = mode & 16 != 0
        config.historyOnJoin = mode & 32 != 0 ? 50 : 0
        config.relayMessages = mode & 64 != 0
        config.pacingRate = 0
        let now = ContinuousClock.now
        let session = ClientSession(config: config, now: now)
        session.start(now: now)
        var said: [UInt8] = []
        for line in lines(cursor.rest()) {
            if line.first == UInt8(ascii: "!") { said = Array(line.dropFirst()); continue }
            _ = session.receive(line, now: now)
            drain(session, now)
        }
        let text = String(decoding: said, as: UTF8.self)
        session.say(text, to: "#ops")
        session.say(text, to: "bob", kind: .action)
        session.say(text, to: "#ops", kind: .notice)
        session.raw(text)
        session.relay(text, as: "bob/x", to: "#ops", kind: .action)
        _ = session.confirm()
        _ = session.tick(now: now + .seconds(120))
        drain(session, now + .seconds(120))
    }

    private static func drain(_ session: ClientSession, _ now: ContinuousClock.Instant) {
        for line in session.takeOutgoing(now: now) {
            precondition(isCleanWireLine(line), "a line break or NUL inside an outgoing line")
            precondition(line.count <= 512, "an outgoing line over 512 bytes: \(line.count)")
        }
    }
}
