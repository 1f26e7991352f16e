import DequeModule
import RelayIRC

/// How a client session behaves.
public struct SessionConfig: Sendable {
    public var nick: String
    public var username: String
    public var realname: String
    public var password: String?
    /// Rooms joined once registered.
    public var rooms: [String] = []
    /// Keys of keyed rooms, by folded room name.
    public var roomKeys: [String: String] = [:]
    public var joinOnRegister = true
    /// How many alternatives (nick_, nick__, ...) to try when the nick is taken.
    public var maxNickAttempts = 5
    /// Silence before we PING the server; as long again without an answer and it is dead.
    public var keepalive: Duration = .seconds(60)
    public var pacingBurst = 5
    /// Lines per second after the burst; 0 turns pacing off.
    public var pacingRate: Double = 1
    public var version = "relay 0.1.0"
    /// Log in with SASL before registering (CAP LS 302 … CAP END).
    public var sasl: SASLLogin?
    /// Where SASL is not used: IDENTIFY to NickServ after 001, joining once it answers.
    public var nickservPassword: String?
    /// How long to wait for NickServ's answer before joining anyway.
    public var nickservTimeout: Duration = .seconds(10)
    /// Ask for the IRCv3 capabilities the session uses (CAP LS 302 first).
    public var requestCapabilities = true
    /// A bot: set the server's bot mode (+B where 005 says BOT=B).
    public var botMode = false
    /// Lines of a room's history to ask for on joining (draft/chathistory), 0 for none.
    public var historyOnJoin = 0
    /// A bridge: ask for draft/relaymsg, to relay lines as their speakers'.
    public var relayMessages = false
    /// A plain line-chat server (`tcp://`), not IRC: the name its one room has
    /// here, and who says a line that names no speaker. Nil for IRC.
    public var plainRoom: String?
    public var plainSpeaker = "chat"

    public init(nick: String, username: String? = nil, realname: String? = nil) {
        self.nick = nick
        self.username = username ?? nick
        self.realname = realname ?? nick
    }
}

/// One connection's worth of IRC client protocol, with no sockets: lines in,
/// events and lines out. Registration, nick fallback, PING answers, keepalive,
/// joins, pacing, splitting, CTCP, and delivery confirmation.
public final class ClientSession {
    public let config: SessionConfig
    public private(set) var nick: String
    public private(set) var isRegistered = false
    /// Rooms we are in, in joining order.
    public private(set) var rooms: [String] = []
    /// The members of each room we are in, by folded room name.
    private var members: [String: [String]] = [:]
    private var pendingNames: [String: [String]] = [:]
    private var nickAttempts = 0
    /// The nick alternatives are made from: the one asked for, or it cut to the server's length.
    private lazy var baseNick = config.nick
    /// 433s during registration: the underscores of the next alternative.
    private var collisions = 0
    /// RFC 1459's NICKLEN, which every server takes.
    static let shortestNickLength = 9
    private var pacer: TokenBucket
    /// CTCP replies get a budget of their own (3, then one every 10 s), and are
    /// dropped while anything waits for the pacer: 300 VERSION queries must not
    /// delay a bot's real replies or a bridge's relaying by minutes.
    private var ctcpReplies: TokenBucket
    /// Lines that go out at once (registration, PONG) and lines that wait for the pacer.
    private var urgent = Deque<[UInt8]>()
    private var paced = Deque<Paced>()
    /// Messages (`say`) still waiting for the pacer: what a run that ends now did not send.
    public private(set) var unsentMessageCount = 0
    /// Confirmation PINGs written since the host last asked (`takeWrittenConfirmations`).
    private var writtenConfirmations: [String] = []

    /// What waits for the pacer: a line, or a confirmation PING, which takes no
    /// token (it only marks a place in the order: a run's confirmation must not
    /// wait a pacing interval of its own, nor count against the server's flood limit as a message).
    private enum Paced {
        case line([UInt8], message: Bool)
        case confirmation(token: String, line: [UInt8])
    }
    private var lastReceived: ContinuousClock.Instant
    private var keepalivePingAt: ContinuousClock.Instant?
    private var confirmCounter = 0
    public private(set) var quitting = false
    private var login = LoginProgress()
    /// Confirmation without PING: with labeled-response (and batch) every
    /// message goes out labeled (`@label=rN`) and the server answers each label
    /// (its echo, its refusal, or an ACK); with only echo-message, PRIVMSGs are
    /// answered by their echoes or refusals, in order.
    private var awaited = AwaitedAnswers()
    /// A NOTICE was written since the last confirmation where only echoes
    /// answer: no server answers a refused NOTICE, so only a PING can confirm it.
    private var noticeSinceConfirmation = false
    private var usesLabels: Bool { login.enabled.contains("labeled-response") && login.enabled.contains("batch") }
    /// Open batches (BATCH +id type), by id: their type.
    private var batches: [String: String] = [:]
    /// From 005: the bot mode letter (BOT=) and the chathistory limit (CHATHISTORY=).
    private var botModeLetter: String?
    private var historyLimit: Int?
    private var botModeSet = false

    /// The capabilities the server acknowledged.
    public var capabilities: Set<String> { login.enabled }
    /// Rooms where the server refused our RELAYMSG (folded): plain PRIVMSGs there.
    private var relayRefused: Set<String> = []

    /// What joins a relayed nick to its network, where RELAYMSG may be used in `room`.
    public func relaySeparator(in room: String) -> Character? {
        guard login.enabled.contains("draft/relaymsg"), !relayRefused.contains(Casemapping.fold(room)) else { return nil }
        return login.offered["draft/relaymsg"]?.first ?? "/"
    }

    /// Set when the server is a plain line-chat server, not IRC.
    private var plain: PlainDialect?

    public init(config: SessionConfig, now: ContinuousClock.Instant) {
        self.config = config
        self.plain = config.plainRoom.map { PlainDialect(room: $0, speaker: config.plainSpeaker) }
        self.nick = config.nick
        self.pacer = TokenBucket(burst: config.pacingBurst, rate: config.pacingRate, now: now)
        self.ctcpReplies = TokenBucket(burst: 3, rate: 0.1, now: now)
        self.lastReceived = now
    }

    // MARK: Output

    /// Registration: CAP LS 302 (IRCv3 capabilities, SASL), then PASS, NICK, USER.
    public func start(now: ContinuousClock.Instant) {
        lastReceived = now
        if plain != nil {
            isRegistered = true
            rooms = [plain!.room]
            plain!.started(nick: nick)
            return
        }
        if config.sasl != nil || config.requestCapabilities {
            login.negotiating = true
            sendNow(Message("CAP", "LS", "302"))
        }
        if let password = config.password { sendNow(Message("PASS", password)) }
        sendNow(Message("NICK", nick))
        sendNow(Message(command: "USER", params: [config.username, "0", "*", config.realname]))
    }

    private func sendNow(_ message: Message) { message.fitted().map { urgent.append($0) } }
    private func sendPaced(_ message: Message, isMessage: Bool = false) {
        guard let bytes = message.fitted() else { return }
        paced.append(.line(bytes, message: isMessage))
        if isMessage { unsentMessageCount += 1 }
    }

    /// The lines that may be written now, in order.
    public func takeOutgoing(now: ContinuousClock.Instant) -> [[UInt8]] {
        var out = Array(urgent)
        urgent.removeAll()
        while let next = paced.first {
            switch next {
            case .confirmation(let token, let line):
                writtenConfirmations.append(token)
                if plain != nil {
                    // Written is all a plain server will ever tell.
                    plain!.due.append(.confirmed(token: token))
                    break
                }
                // The answers to labels, or with echo-message the echoes, confirm
                // what is before it; a PING where a NOTICE is among what only
                // echoes would confirm, or where nothing is awaited.
                if !awaited.isEmpty && (usesLabels || (login.enabled.contains("echo-message") && !noticeSinceConfirmation)) {
                    awaited.confirm(token)
                } else {
                    out.append(line)
                }
                noticeSinceConfirmation = false
            case .line(let line, let isMessage):
                guard pacer.take(now: now) else { return out }
                if isMessage {
                    unsentMessageCount -= 1
                    if usesLabels {
                        out.append(Message.addingTag("label", "r\(awaited.write())", to: line))
                        break
                    }
                    if line.starts(with: Self.noticeStart) { noticeSinceConfirmation = true }
                    else if login.enabled.contains("echo-message") { _ = awaited.write() }
                }
                out.append(line)
            }
            paced.removeFirst()
        }
        return out
    }

    private static let noticeStart = Array("NOTICE ".utf8)

    /// Lines waiting for the pacer.
    public var pacedBacklog: Int { paced.count }

    /// The tokens of confirmation PINGs written since the last call: from now
    /// on their PONG is what the host waits for (a timeout counts from here, not
    /// from when the PING was queued behind a paced backlog).
    public func takeWrittenConfirmations() -> [String] {
        defer { writtenConfirmations.removeAll() }
        return writtenConfirmations
    }

    /// Sends text to a room or nick, split so each line fits 512 bytes once the
    /// server adds our prefix; CR, LF and NUL never leave as line breaks.
    /// Returns how many lines it took.
    @discardableResult
    public func say(_ text: String, to target: String, kind: ChatLine.Kind = .message) -> Int {
        // By scalar: "\r\n" is one Character, and must become two spaces like any CR and LF.
        let clean = TextScrub.oneLine(text)
        let command = kind == .notice ? "NOTICE" : "PRIVMSG"
        let pieces = TextSplitter.split(clean, maxBytes: textBudget(to: target, kind: kind))
        if plain != nil {
            for piece in pieces {
                paced.append(.line(plain!.line(kind == .action ? "* \(nick) \(piece)" : piece), message: true))
                unsentMessageCount += 1
            }
            return pieces.count
        }
        for piece in pieces {
            let payload = kind == .action ? CTCP.action(piece) : piece
            sendPaced(Message(command: command, params: [target, payload]), isMessage: true)
        }
        return pieces.count
    }

    /// How many bytes of text one line to `target` holds once the server adds
    /// our prefix (":nick!~user@host COMMAND target :" and CRLF, with the longest
    /// host a server may show).
    public func textBudget(to target: String, kind: ChatLine.Kind) -> Int {
        if plain != nil { return PlainDialect.lineBytes }
        let command = kind == .notice ? "NOTICE" : "PRIVMSG"
        var overhead = 1 + nick.utf8.count + 2 + config.username.utf8.count + 1 + 63 + 1 + command.utf8.count + 1
            + target.utf8.count + 2 + 2
        if kind == .action { overhead += 9 }
        return max(512 - overhead, 32)
    }

    /// RELAYMSG: `text` said in `room` as `nick` (a bridge relaying someone; draft/relaymsg).
    public func relay(_ text: String, as nick: String, to room: String, kind: ChatLine.Kind) {
        let clean = TextScrub.oneLine(text)
        sendPaced(Message(command: "RELAYMSG", params: [room, nick, kind == .action ? CTCP.action(clean) : clean]),
                  isMessage: true)
    }

    public func join(_ room: String, key: String? = nil) {
        guard plain == nil else { return }  // a plain server is one room, joined on connecting
        sendPaced(Message(command: "JOIN", params: key.map { [room, $0] } ?? [room]))
    }

    public func part(_ room: String, reason: String? = nil) {
        guard plain == nil else { return }
        sendPaced(Message(command: "PART", params: reason.map { [room, $0] } ?? [room]))
    }

    public func changeNick(_ newNick: String) { if plain == nil { sendPaced(Message("NICK", newNick)) } }
    public func names(_ room: String) { if plain == nil { sendPaced(Message("NAMES", room)) } }
    public func list() { if plain == nil { sendPaced(Message("LIST")) } }

    public func topic(_ room: String, set text: String?) {
        guard plain == nil else { return }
        sendPaced(Message(command: "TOPIC", params: text.map { [room, $0] } ?? [room]))
    }

    /// A raw line from the user, made safe: only its first line is sent, without
    /// NULs, and cut to IRC's 510 bytes (a server would cut it or refuse it).
    public func raw(_ line: String) {
        let first = line.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let clean = TextSplitter.prefix(String(String.UnicodeScalarView(first.unicodeScalars.filter { $0 != "\0" })), maxBytes: 510)
        guard !clean.isEmpty else { return }
        if plain != nil { return paced.append(.line(plain!.line(clean), message: false)) }
        paced.append(.line(Array(clean.utf8) + [13, 10], message: false))
    }

    public func quit(_ reason: String? = nil) {
        quitting = true
        if plain != nil { return }  // the host's close is the goodbye
        sendNow(Message(command: "QUIT", params: reason.map { [$0] } ?? []))
    }

    /// Queues a PING behind everything queued so far; its PONG proves the
    /// server processed all of it. It is written as soon as what is before it
    /// is (it takes no pacing token); `takeWrittenConfirmations` says when.
    /// Returns the token to wait for.
    @discardableResult
    public func confirm() -> String {
        confirmCounter += 1
        let token = "relay-confirm-\(confirmCounter)"
        paced.append(.confirmation(token: token, line: Message("PING", token).bytes))
        return token
    }

    // MARK: Input

    /// One line from the server, without its line ending.
    public func receive(_ line: ArraySlice<UInt8>, now: ContinuousClock.Instant) -> [ClientEvent] {
        lastReceived = now
        keepalivePingAt = nil
        if plain != nil { return plain!.receive(line) }
        guard let message = try? Message.parse(line) else { return [] }
        var events: [ClientEvent] = []
        handle(message, into: &events)
        if usesLabels, !awaited.isEmpty, let label = message.tags["label"], label.hasPrefix("r"), let number = Int(label.dropFirst()) {
            // After what the line itself says: a refusal comes before the confirmation.
            events += awaited.answered(number).map { .confirmed(token: $0) }
        }
        return events
    }

    private func isMe(_ name: String?) -> Bool {
        guard let name else { return false }
        return Casemapping.equal(name, nick)
    }

    private func handle(_ message: Message, into events: inout [ClientEvent]) {
        let params = message.params
        let from = message.sourceNick ?? ""
        switch message.command {
        case "PING":
            sendNow(Message(command: "PONG", params: params.isEmpty ? [""] : [params[0]]))
        case "PONG":
            if let token = params.last, token.hasPrefix("relay-confirm-") { events.append(.confirmed(token: token)) }
        case "001":
            isRegistered = true
            login.negotiating = false  // a server that ignored CAP registered us
            if let me = params.first { nick = me }
            registered(now: lastReceived, into: &events)
        case "CAP":
            capability(message, into: &events)
        case "AUTHENTICATE":
            guard login.sasl == .authenticating, params.first == "+", let sasl = config.sasl else { return }
            for line in sasl.payloadLines { sendNow(Message("AUTHENTICATE", line)) }
        case "903", "907":
            guard login.sasl == .authenticating else { return }
            login.sasl = .loggedIn
            endNegotiation()
            numericText(message, into: &events)
        case "902", "904", "905", "906":
            guard login.sasl == .authenticating else { return numericText(message, into: &events) }
            saslUnavailable("the server refused the login: \(params.last ?? message.command)", into: &events)
        case "908":
            break  // the mechanisms the server has; 904 follows and says the rest
        case "421" where params.count > 1 && params[1].uppercased() == "CAP":
            guard login.negotiating else { return }
            if config.sasl != nil { saslUnavailable("the server does not support CAP", into: &events) } else { login.negotiating = false }
        case "432" where !isRegistered && nick.count > Self.shortestNickLength && nickAttempts < config.maxNickAttempts:
            // Most likely longer than the server's NICKLEN (not known before 005):
            // cut to a length servers take (16, then RFC 1459's 9), and say so.
            nickAttempts += 1
            let shorter = String(nick.prefix(nick.count > 16 ? 16 : Self.shortestNickLength))
            events.append(.warning("the server refused the nick \(nick) (too long for it?); trying \(shorter)"))
            baseNick = shorter
            nick = shorter
            sendNow(Message("NICK", shorter))
        case "433" where !isRegistered, "432" where !isRegistered:
            nickAttempts += 1
            guard message.command == "433", nickAttempts <= config.maxNickAttempts else {
                let reason = message.command == "432" ? "the server refused the nick \(nick)" : "the nick \(config.nick) and \(config.maxNickAttempts) alternatives are taken"
                events.append(.failed(.nickUnavailable(reason)))
                return
            }
            collisions += 1
            // A nick already cut to the server's length keeps that length.
            let stem = baseNick == config.nick ? baseNick : String(baseNick.dropLast(min(collisions, baseNick.count - 1)))
            let next = stem + String(repeating: "_", count: collisions)
            events.append(.nickInUse(nick, next: next))
            nick = next
            sendNow(Message("NICK", next))
        case "464":
            events.append(.failed(.passwordRefused))
        case "465":
            events.append(.failed(.banned(params.last ?? "banned")))
        case "ERROR":
            if !quitting { events.append(.failed(.fromError(params.first ?? "ERROR", registered: isRegistered))) }
        case "JOIN":
            guard let room = params.first else { return }
            if isMe(from) {
                if !rooms.contains(where: { Casemapping.equal($0, room) }) { rooms.append(room) }
                members[Casemapping.fold(room), default: []] = []
                events.append(.joined(room: room))
                if config.historyOnJoin > 0 && login.enabled.contains("draft/chathistory") {
                    let count = min(config.historyOnJoin, historyLimit ?? config.historyOnJoin)
                    sendPaced(Message("CHATHISTORY", "LATEST", room, "*", String(count)))
                }
            } else {
                addMember(from, to: room)
                events.append(.join(room: room, nick: from))
            }
        case "PART":
            guard let room = params.first else { return }
            if isMe(from) { leave(room) } else { removeMember(from, from: room) }
            events.append(.part(room: room, nick: from, reason: params.count > 1 ? params[1] : nil))
        case "KICK":
            guard params.count >= 2 else { return }
            if isMe(params[1]) { leave(params[0]) } else { removeMember(params[1], from: params[0]) }
            events.append(.kick(room: params[0], nick: params[1], by: from, reason: params.count > 2 ? params[2] : ""))
        case "QUIT":
            let shared = roomsWith(from)
            for key in members.keys { members[key]?.removeAll { Casemapping.equal($0, from) } }
            events.append(.quit(nick: from, reason: params.first ?? "", rooms: shared))
        case "NICK":
            guard let new = params.first else { return }
            if isMe(from) { nick = new }
            let shared = roomsWith(from)
            for key in members.keys {
                if let index = members[key]?.firstIndex(where: { Casemapping.equal($0, from) }) { members[key]?[index] = new }
            }
            events.append(.nick(old: from, new: new, rooms: shared))
        case "TOPIC":
            guard params.count >= 2 else { return }
            events.append(.topic(room: params[0], nick: from, text: params[1]))
        case "332":
            guard params.count >= 3 else { return }
            events.append(.topic(room: params[1], nick: nil, text: params[2]))
        case "353":
            guard params.count >= 4 else { return }
            let names = params[3].split(separator: " ").map { String($0.drop { "@+%&~".contains($0) }) }
            pendingNames[Casemapping.fold(params[2]), default: []] += names
        case "366":
            guard params.count >= 2 else { return }
            let key = Casemapping.fold(params[1])
            let names = pendingNames.removeValue(forKey: key) ?? []
            if members[key] != nil { members[key] = names }
            events.append(.names(room: params[1], nicks: names))
        case "PRIVMSG", "NOTICE":
            guard params.count >= 2 else { return }
            chat(message, from: from, into: &events)
        case "BATCH":
            guard let reference = params.first, reference.count > 1 else { return }
            if reference.hasPrefix("+"), params.count > 1, batches.count < 64 {
                batches[String(reference.dropFirst())] = params[1].lowercased()
            } else if reference.hasPrefix("-") {
                batches[String(reference.dropFirst())] = nil
            }
        case "FAIL" where params.count >= 3 && params[0].uppercased() == "RELAYMSG":
            // A refused RELAYMSG answers it like a refused PRIVMSG; the room gets plain lines from now on.
            let subject = params.count > 3 ? params[2] : nil
            if let room = subject, Names.isChannel(room) { relayRefused.insert(Casemapping.fold(room)) }
            events.append(.refused(code: "RELAYMSG \(params[1])", subject: subject, text: params[params.count - 1]))
            answered(into: &events)
        case "AWAY":
            events.append(.away(nick: from, text: params.first.flatMap { $0.isEmpty ? nil : $0 }))
        case "005":
            for token in params.dropFirst() {
                if token.hasPrefix("BOT="), token.count > 4 { botModeLetter = String(token.dropFirst(4)) }
                if token.hasPrefix("CHATHISTORY="), let limit = Int(token.dropFirst(12)), limit > 0 { historyLimit = limit }
            }
            if config.botMode, !botModeSet, let letter = botModeLetter {
                botModeSet = true
                sendPaced(Message("MODE", nick, "+" + letter))
            }
        case "401", "403", "404", "407", "411", "412", "413", "414", "486", "492":
            // With echo-message, a refused PRIVMSG is answered by this instead of its echo.
            numericText(message, into: &events)
            answered(into: &events)  // after the refusal: the host learns of it before the confirmation
        default:
            numericText(message, into: &events)
        }
    }

    /// Where only echoes answer: one PRIVMSG we wrote was echoed or refused.
    private func answered(into events: inout [ClientEvent]) {
        guard !usesLabels else { return }  // the label says which
        events += awaited.answered().map { .confirmed(token: $0) }
    }

    private func chat(_ message: Message, from: String, into events: inout [ClientEvent]) {
        let target = message.params[0], text = message.params[1]
        if login.identifyDeadline != nil, message.command == "NOTICE", Casemapping.equal(from, "NickServ"),
           let answer = NickServAnswer(text) {
            login.identifyDeadline = nil
            guard answer == .accepted else {
                events.append(.failed(.authenticationFailed("NickServ: \(text)")))
                return
            }
            events.append(.serverText("NickServ: \(text)"))
            return joinAfterLogin(into: &events)
        }
        let room: String? = Names.isChannel(target) ? target : nil
        let isNotice = message.command == "NOTICE"
        let isHistory = message.tags["batch"].map { batches[$0] == "chathistory" } ?? false
        let isEcho = login.enabled.contains("echo-message") && !isHistory
            && (isMe(from) || message.tags["draft/relaymsg"].map { isMe($0) } == true)
        func line(_ text: String, _ kind: ChatLine.Kind) -> ChatLine {
            var line = ChatLine(room: room, nick: from, text: text, kind: kind, host: Self.host(of: message))
            line.time = message.tags["time"].flatMap { ServerTime.parse($0) }
            line.msgid = message.tags["msgid"].flatMap { $0.isEmpty ? nil : $0 }
            line.account = message.tags["account"].flatMap { $0.isEmpty ? nil : $0 }
            line.isHistory = isHistory
            return line
        }
        if isEcho {
            // Our own line, echoed: not chat (the host showed it when it was sent).
            let action = isNotice ? nil : CTCP.actionText(text)
            events.append(.echo(line(action ?? text, action != nil ? .action : isNotice ? .notice : .message)))
            if !isNotice { answered(into: &events) }
            return
        }
        if text.hasPrefix("\u{1}") {
            var body = String(text.dropFirst())
            if body.hasSuffix("\u{1}") { body.removeLast() }
            let verb = body.prefix { $0 != " " }.uppercased()
            let argument = String(body.drop { $0 != " " }.dropFirst())
            switch (verb, isNotice) {
            case ("ACTION", _):
                events.append(.chat(line(argument, .action)))
            case ("VERSION", false) where !isHistory && mayReplyToCTCP():
                sendPaced(Message("NOTICE", from, "\u{1}VERSION \(config.version)\u{1}"))
            case ("PING", false) where !isHistory && mayReplyToCTCP():
                sendPaced(Message("NOTICE", from, "\u{1}PING \(argument)\u{1}"))
            default:
                break  // other CTCP queries and replies are not chat
            }
            return
        }
        if from.isEmpty || from.contains(".") && message.source?.contains("!") == false {
            events.append(.serverText(text))  // a notice from the server itself
            return
        }
        events.append(.chat(line(text, isNotice ? .notice : .message)))
    }

    /// The host part of a `nick!user@host` source.
    static func host(of message: Message) -> String? {
        guard let source = message.source, let at = source.lastIndex(of: "@") else { return nil }
        return String(source[source.index(after: at)...])
    }

    /// A CTCP reply may go: nothing waits for the pacer and the CTCP budget has a token.
    private func mayReplyToCTCP() -> Bool {
        paced.isEmpty && ctcpReplies.take(now: lastReceived)
    }

    private func numericText(_ message: Message, into events: inout [ClientEvent]) {
        let code = message.command
        guard code.count == 3, let number = Int(code) else { return }
        // params[0] is our nick; the last is the text; what is between names the subject.
        let rest = Array(message.params.dropFirst())
        let text = rest.last ?? ""
        let subject = rest.count > 1 ? rest[rest.count - 2] : nil
        // 422 (no MOTD) is numbered like an error but is news, not a refusal.
        if (400..<600).contains(number) && code != "422" {
            events.append(.refused(code: code, subject: subject, text: text))
        } else if !["002", "003", "004", "005", "251", "252", "253", "254", "255", "265", "266", "333", "366", "329"].contains(code) {
            events.append(.serverText(rest.joined(separator: " ")))
        }
    }

    // MARK: Logging in

    /// 001: a required SASL login that never happened fails here (a server that
    /// ignores CAP registers us without one); NickServ is asked, or rooms joined.
    private func registered(now: ContinuousClock.Instant, into events: inout [ClientEvent]) {
        if let sasl = config.sasl, login.sasl != .loggedIn, !sasl.optional, login.sasl != .skipped {
            events.append(.failed(.authenticationFailed("SASL: the server registered us without a login (it offers no SASL)")))
            return
        }
        if let password = config.nickservPassword, login.sasl != .loggedIn {
            sendNow(Message(command: "PRIVMSG", params: ["NickServ", "IDENTIFY \(password)"]))
            login.identifyDeadline = now + config.nickservTimeout
            return
        }
        joinAfterLogin(into: &events)
    }

    private func joinAfterLogin(into events: inout [ClientEvent]) {
        events.append(.registered(nick: nick))
        if config.joinOnRegister {
            for room in config.rooms { join(room, key: config.roomKeys[Casemapping.fold(room)]) }
        }
    }

    /// The IRCv3 capabilities the session uses, asked for where offered.
    /// chghost and setname: a host or realname change is one line, not the
    /// QUIT and JOIN a server fakes for clients without them (which a bridge
    /// would relay as someone leaving and coming back).
    static let wantedCapabilities = ["server-time", "message-tags", "echo-message", "batch", "labeled-response", "multi-prefix",
                                     "away-notify", "account-tag", "chghost", "setname", "draft/chathistory", "cap-notify"]

    /// CAP: the server's list, then one REQ for what we use (all or nothing:
    /// a NAK leaves us with none), then SASL if asked for, then CAP END.
    private func capability(_ message: Message, into events: inout [ClientEvent]) {
        let params = message.params
        guard params.count >= 3 else { return }
        let list = params[params.count - 1].split(separator: " ").map { $0.lowercased() }
        switch params[1].uppercased() {
        case "LS" where login.negotiating && login.capStage == .listing:
            for word in list {
                let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                guard let name = parts.first, !name.isEmpty else { continue }  // "=x": junk, not a capability
                login.offered[String(name)] = parts.count > 1 ? String(parts[1]) : ""
            }
            if params.count >= 4 && params[2] == "*" { return }  // more LS lines follow
            let wanted = Self.wantedCapabilities + (config.relayMessages ? ["draft/relaymsg"] : [])
            let extras = config.requestCapabilities ? wanted.filter { login.offered[$0] != nil } : []
            guard !extras.isEmpty else { return afterCapabilities(into: &events) }
            login.capStage = .requested
            sendNow(Message("CAP", "REQ", extras.joined(separator: " ")))
        case "ACK" where login.capStage == .requested:
            login.enabled = Set(list)
            login.capStage = .done
            afterCapabilities(into: &events)
        case "NAK" where login.capStage == .requested:
            login.capStage = .done
            afterCapabilities(into: &events)
        case "ACK" where login.sasl == .requested:
            guard let sasl = config.sasl, list.contains("sasl") else { return }
            login.sasl = .authenticating
            sendNow(Message("AUTHENTICATE", sasl.mechanism.rawValue))
        case "NAK" where login.sasl == .requested:
            saslUnavailable("the server refused the sasl capability", into: &events)
        case "DEL":
            // cap-notify: echo-message gone means PINGs confirm again.
            for name in list { login.enabled.remove(name) }
        default:
            break
        }
    }

    /// The capabilities are settled: log in with SASL if asked, else end negotiation.
    private func afterCapabilities(into events: inout [ClientEvent]) {
        login.capStage = .done
        guard let sasl = config.sasl, login.sasl == .none else { return endNegotiation() }
        guard let mechanisms = login.offered["sasl"] else {
            return saslUnavailable("the server does not offer SASL", into: &events)
        }
        let offered = mechanisms.split(separator: ",").map { $0.uppercased() }
        guard offered.isEmpty || offered.contains(sasl.mechanism.rawValue) else {
            return saslUnavailable("the server offers SASL \(offered.joined(separator: ", ")), not \(sasl.mechanism.rawValue)",
                                   into: &events)
        }
        login.sasl = .requested
        sendNow(Message("CAP", "REQ", "sasl"))
    }

    /// No login: stop unless the login is optional, then register without it.
    private func saslUnavailable(_ reason: String, into events: inout [ClientEvent]) {
        login.sasl = .skipped
        guard config.sasl?.optional == true else {
            events.append(.failed(.authenticationFailed("SASL: \(reason)")))
            return
        }
        events.append(.warning("SASL: \(reason); going on without logging in (--sasl-optional)"))
        endNegotiation()
    }

    private func endNegotiation() {
        guard login.negotiating else { return }
        login.negotiating = false
        sendNow(Message("CAP", "END"))
    }

    private func leave(_ room: String) {
        rooms.removeAll { Casemapping.equal($0, room) }
        members[Casemapping.fold(room)] = nil
    }

    private func addMember(_ name: String, to room: String) {
        let key = Casemapping.fold(room)
        if members[key]?.contains(where: { Casemapping.equal($0, name) }) == false { members[key]?.append(name) }
    }

    private func removeMember(_ name: String, from room: String) {
        members[Casemapping.fold(room)]?.removeAll { Casemapping.equal($0, name) }
    }

    /// Our rooms `name` is in, in joining order.
    private func roomsWith(_ name: String) -> [String] {
        rooms.filter { members[Casemapping.fold($0)]?.contains { Casemapping.equal($0, name) } == true }
    }

    /// The nicks in `room`, as last seen.
    public func members(of room: String) -> [String] {
        members[Casemapping.fold(room)] ?? []
    }

    // MARK: Time

    /// The next moment `tick` has work: a paced line, or the keepalive.
    public func nextDeadline(now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        if let plain {
            // No keepalive: a quiet chat server is not a dead one (TCP says when it is).
            if !plain.due.isEmpty { return now }
            return paced.isEmpty ? now + .seconds(3600) : pacer.nextToken(now: now)
        }
        var next = keepalivePingAt.map { $0 + config.keepalive } ?? lastReceived + config.keepalive
        if case .confirmation? = paced.first { next = now } else if !paced.isEmpty { next = min(next, pacer.nextToken(now: now)) }
        if let identifyDeadline = login.identifyDeadline { next = min(next, identifyDeadline) }
        return next
    }

    /// Keepalive: PING a silent server; declare it dead when that goes unanswered.
    public func tick(now: ContinuousClock.Instant) -> [ClientEvent] {
        if plain != nil {
            defer { plain!.due.removeAll() }
            return plain!.due
        }
        if let deadline = login.identifyDeadline, now >= deadline {
            login.identifyDeadline = nil
            var events: [ClientEvent] = [.serverText("NickServ did not answer IDENTIFY; joining anyway")]
            joinAfterLogin(into: &events)
            return events
        }
        if let pingAt = keepalivePingAt {
            if now - pingAt >= config.keepalive {
                keepalivePingAt = nil
                let seconds = (now - lastReceived).components.seconds
                return [.failed(.timedOut("no reply from the server in \(seconds) s"))]
            }
        } else if now - lastReceived >= config.keepalive {
            keepalivePingAt = now
            sendNow(Message("PING", "keepalive"))
        }
        return []
    }
}

/// Where a session is in logging in.
struct LoginProgress {
    enum SASL { case none, requested, authenticating, loggedIn, skipped }
    var sasl = SASL.none
    /// CAP LS was sent and CAP END not yet.
    var negotiating = false
    /// Capabilities the server listed, with their values.
    var offered: [String: String] = [:]
    /// Where the IRCv3 capabilities are: being listed, asked for, settled.
    enum CapStage { case listing, requested, done }
    var capStage = CapStage.listing
    /// The capabilities the server acknowledged.
    var enabled: Set<String> = []
    /// Waiting for NickServ to answer IDENTIFY, until then.
    var identifyDeadline: ContinuousClock.Instant?
}
