import RelayClient
import RelayIRC

/// The bot's routing of what a script prints (text and JSON Lines): never
/// traps, a reply goes to a room or a nick, and what the session then sends
/// holds no line break or NUL and fits 512 bytes.
enum BotReplyTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        let flags = cursor.byte()
        var config = BotConfig()
        config.coprocess = true
        config.json = flags & 1 != 0
        config.allowRaw = flags & 2 != 0
        let bot = BotCore(config: config)
        let now = ContinuousClock.now
        _ = bot.receive(.chat(ChatLine(room: nil, nick: "bob", text: "hi", kind: .message)), ownNick: "bot", now: now)
        _ = bot.receive(.chat(ChatLine(room: "#ops", nick: "ana", text: "hello", kind: .message)), ownNick: "bot", now: now)
        var sessionConfig = SessionConfig(nick: "bot")
        sessionConfig.pacingRate = 0
        let session = ClientSession(config: sessionConfig, now: now)
        for line in lines(cursor.rest()) {
            for action in bot.coprocessLine(String(decoding: line, as: UTF8.self)) {
                switch action {
                case .say(let to, let text, let kind):
                    precondition(!to.isEmpty, "a reply to nobody")
                    session.say(text, to: to, kind: kind)
                case .raw(let text):
                    precondition(config.allowRaw, "a raw line without --allow-raw")
                    session.raw(text)
                default:
                    break
                }
            }
        }
        for line in session.takeOutgoing(now: now) {
            precondition(isCleanWireLine(line), "a line break or NUL inside an outgoing line")
            precondition(line.count <= 512, "an outgoing line over 512 bytes")
        }
    }
}
