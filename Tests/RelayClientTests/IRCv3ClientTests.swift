import RelayClient
import RelayIRC
import XCTest

/// The client side of IRCv3: what `relay connect`, bots and the bridge ask
/// for, and what they do with it.
final class IRCv3ClientTests: SessionTestCase {
    private func v3Session(_ configure: (inout SessionConfig) -> Void = { _ in }) -> ClientSession {
        session { config in
            config.requestCapabilities = true
            configure(&config)
        }
    }

    /// Negotiated: LS (over two lines), REQ, ACK, END, registered and joined.
    private func negotiated(_ caps: String = "server-time message-tags echo-message batch draft/chathistory",
                            _ configure: (inout SessionConfig) -> Void = { _ in }) -> ClientSession {
        let session = v3Session(configure)
        _ = out(session)
        feed(session, ":srv CAP * LS * :multi-prefix sasl=PLAIN")
        feed(session, ":srv CAP * LS :\(caps) draft/relaymsg")
        _ = out(session)
        feed(session, ":srv CAP * ACK :\(caps)")
        feed(session, ":srv 001 ana :Welcome")
        feed(session, ":ana!a@h JOIN #ops")
        _ = out(session)
        return session
    }

    func testAsksForWhatTheServerOffersThatItUsesThenEnds() {
        let session = v3Session()
        XCTAssertEqual(out(session), ["CAP LS 302", "NICK ana", "USER ana 0 * :ana"])
        feed(session, ":srv CAP * LS * :multi-prefix sasl=PLAIN,EXTERNAL foo")
        XCTAssertEqual(out(session), [], "waits for the last LS line")
        feed(session, ":srv CAP * LS :server-time echo-message draft/chathistory batch")
        XCTAssertEqual(out(session), ["CAP REQ :server-time echo-message batch multi-prefix draft/chathistory"],
                       "what it uses, in its own order; foo and sasl (not asked for) are left")
        feed(session, ":srv CAP * ACK :server-time echo-message batch multi-prefix draft/chathistory")
        XCTAssertEqual(out(session), ["CAP END"])
        XCTAssertEqual(session.capabilities, ["server-time", "echo-message", "batch", "multi-prefix", "draft/chathistory"])
    }

    func testANakLeavesNoCapabilitiesAndRegistrationGoesOn() {
        let session = v3Session()
        _ = out(session)
        feed(session, ":srv CAP * LS :server-time")
        _ = out(session)
        feed(session, ":srv CAP * NAK :server-time")
        XCTAssertEqual(out(session), ["CAP END"])
        XCTAssertTrue(session.capabilities.isEmpty)
    }

    func testAServerWithoutCapRegistersUsAnyway() {
        let session = v3Session()
        _ = out(session)
        feed(session, ":old 421 * CAP :Unknown command")
        XCTAssertEqual(feed(session, ":old 001 ana :Welcome"), [.registered(nick: "ana")])
        XCTAssertEqual(out(session), ["JOIN #ops"], "no CAP END to a server that knows no CAP")
    }

    func testCapabilitiesComeBeforeSASL() {
        let session = v3Session { $0.sasl = SASLLogin(mechanism: .plain, user: "ana", password: "pw") }
        _ = out(session)
        feed(session, ":srv CAP * LS :sasl=PLAIN server-time")
        XCTAssertEqual(out(session), ["CAP REQ server-time"])
        feed(session, ":srv CAP * ACK :server-time")
        XCTAssertEqual(out(session), ["CAP REQ sasl"])
        feed(session, ":srv CAP * ACK :sasl")
        XCTAssertEqual(out(session), ["AUTHENTICATE PLAIN"])
    }

    func testServerTimeMsgidAndAccountReachTheChatLineAndJSON() throws {
        let session = negotiated()
        let events = feed(session, "@time=2026-12-04T10:00:00.250Z;msgid=m1;account=bobby :bob!b@h PRIVMSG #ops :hi")
        guard case .chat(let line)? = events.first else { return XCTFail("\(events)") }
        XCTAssertEqual(line.time, ServerTime.parse("2026-12-04T10:00:00.250Z"))
        XCTAssertEqual(line.msgid, "m1")
        XCTAssertEqual(line.account, "bobby")
        XCTAssertFalse(line.isHistory)
        XCTAssertEqual(OutputFormat.json.line(for: .chat(line), unixTime: 0),
                       ##"{"time":"2026-12-04T10:00:00.250Z","type":"message","room":"#ops","nick":"bob","text":"hi","msgid":"m1","account":"bobby"}"##)
    }

    func testEchoesAreNotChatAndConfirmDeliveryWithoutAPing() {
        let session = negotiated()
        session.say("one", to: "#ops")
        session.say("two", to: "#nowhere")
        let token = session.confirm()
        XCTAssertEqual(out(session), ["PRIVMSG #ops :one", "PRIVMSG #nowhere :two"], "no PING: the echoes confirm")
        XCTAssertEqual(session.takeWrittenConfirmations(), [token])
        XCTAssertEqual(feed(session, "@msgid=x :ana!a@h PRIVMSG #ops :one"),
                       [.echo(ChatLine(room: "#ops", nick: "ana", text: "one", kind: .message))], "an echo, not chat")
        let refusal = feed(session, ":srv 403 ana #nowhere :No such channel")
        XCTAssertEqual(refusal.last, .confirmed(token: token), "a refusal answers a message too: \(refusal)")
        XCTAssertEqual(refusal.first, .refused(code: "403", subject: "#nowhere", text: "No such channel"))
    }

    func testANoticeIsConfirmedByAPingEvenWithEchoMessage() {
        let session = negotiated()
        session.say("heads up", to: "#ops", kind: .notice)
        let token = session.confirm()
        XCTAssertEqual(out(session), ["NOTICE #ops :heads up", "PING :\(token)"], "no server answers a refused NOTICE")
        XCTAssertEqual(feed(session, ":srv PONG srv :\(token)"), [.confirmed(token: token)])
    }

    func testWithLabeledResponseEveryMessageIsLabeledAndTheAnswersConfirm() {
        let session = negotiated("echo-message batch labeled-response")
        session.say("one", to: "#ops")
        session.say("heads up", to: "#ops", kind: .notice)
        session.say("three", to: "#nowhere")
        let token = session.confirm()
        XCTAssertEqual(out(session), ["@label=r1 PRIVMSG #ops :one", "@label=r2 NOTICE #ops :heads up", "@label=r3 PRIVMSG #nowhere :three"],
                       "no PING, even with a NOTICE among them")
        XCTAssertEqual(feed(session, "@label=r1;msgid=a :ana!a@h PRIVMSG #ops :one"),
                       [.echo(ChatLine(room: "#ops", nick: "ana", text: "one", kind: .message))])
        XCTAssertEqual(feed(session, "@label=r3 :srv 403 ana #nowhere :No such channel"),
                       [.refused(code: "403", subject: "#nowhere", text: "No such channel")], "r2 is still open")
        XCTAssertEqual(feed(session, "@label=r2 :srv ACK"), [.confirmed(token: token)])
        session.say("later", to: "#ops")
        let next = session.confirm()
        _ = out(session)
        XCTAssertEqual(feed(session, ":srv BATCH +b labeled-response"), [])
        XCTAssertEqual(feed(session, "@label=r4 :srv BATCH +x labeled-response"), [.confirmed(token: next)], "a labeled batch answers too")
    }

    func testWithoutEchoMessageAPingConfirms() {
        let session = negotiated("server-time")
        session.say("one", to: "#ops")
        let token = session.confirm()
        XCTAssertEqual(out(session), ["PRIVMSG #ops :one", "PING :\(token)"])
    }

    func testHistoryIsAskedForOnJoinAndPlayedBackAsHistory() {
        let session = v3Session { $0.historyOnJoin = 50 }
        _ = out(session)
        feed(session, ":srv CAP * LS :batch draft/chathistory server-time")
        feed(session, ":srv CAP * ACK :batch draft/chathistory server-time")
        feed(session, ":srv 001 ana :Welcome")
        feed(session, ":srv 005 ana CHATHISTORY=20 BOT=B :are supported")
        _ = out(session)
        feed(session, ":ana!a@h JOIN #ops")
        XCTAssertEqual(out(session), ["CHATHISTORY LATEST #ops * 20"], "bounded by the server's CHATHISTORY=")
        feed(session, ":srv BATCH +h1 chathistory #ops")
        let played = feed(session, "@batch=h1;time=2026-12-01T08:00:00.000Z :bob!b@h PRIVMSG #ops :\u{1}VERSION\u{1}")
            + feed(session, "@batch=h1;time=2026-12-01T08:00:01.000Z :ana!a@h PRIVMSG #ops :mine, earlier")
        feed(session, ":srv BATCH -h1")
        XCTAssertEqual(out(session), [], "no CTCP reply to history")
        guard case .chat(let line)? = played.first else { return XCTFail("\(played)") }
        XCTAssertTrue(line.isHistory)
        XCTAssertEqual(line.text, "mine, earlier", "our own lines are history too")
        XCTAssertEqual(OutputFormat.json.line(for: played[0], unixTime: 0),
                       ##"{"time":"2026-12-01T08:00:01.000Z","type":"message","room":"#ops","nick":"ana","text":"mine, earlier","history":true}"##)
        guard case .chat(let later)? = feed(session, ":bob!b@h PRIVMSG #ops :now").first else { return XCTFail() }
        XCTAssertFalse(later.isHistory, "the batch is closed")
    }

    func testABotSetsBotModeWhereTheServerHasOne() {
        let session = negotiated("server-time") { $0.botMode = true }
        feed(session, ":srv 005 ana BOT=B :are supported")
        XCTAssertEqual(out(session), ["MODE ana +B"])
        feed(session, ":srv 005 ana BOT=B :are supported")
        XCTAssertEqual(out(session), [], "once")
        let person = negotiated("server-time")
        feed(person, ":srv 005 ana BOT=B :are supported")
        XCTAssertEqual(out(person), [])
    }

    func testAwayNotifyIsAnEvent() {
        let session = negotiated("away-notify")
        XCTAssertEqual(feed(session, ":bob!b@h AWAY :lunch"), [.away(nick: "bob", text: "lunch")])
        XCTAssertEqual(feed(session, ":bob!b@h AWAY"), [.away(nick: "bob", text: nil)])
    }

    func testAHostOrRealnameChangeIsNotALeavingAndComingBack() {
        // Asked for: without chghost a server fakes a QUIT and a JOIN, which a bridge would relay.
        let asking = v3Session()
        _ = out(asking)
        feed(asking, ":srv CAP * LS :setname chghost extended-join")
        XCTAssertEqual(out(asking), ["CAP REQ :chghost setname"])
        let session = negotiated("chghost setname")
        XCTAssertEqual(feed(session, ":bob!b@old.host CHGHOST b new.host"), [])
        XCTAssertEqual(feed(session, ":bob!b@new.host SETNAME :Bob B."), [])
    }

    func testCapDelOfEchoMessageFallsBackToPing() {
        let session = negotiated()
        feed(session, ":srv CAP ana DEL :echo-message")
        session.say("one", to: "#ops")
        let token = session.confirm()
        XCTAssertEqual(out(session), ["PRIVMSG #ops :one", "PING :\(token)"])
    }
}

/// What the bridge and bots do with IRCv3: history is never news, and a bridge
/// knows which of its lines a server has.
final class IRCv3PolicyTests: XCTestCase {
    private func history(_ room: String?, _ nick: String, _ text: String) -> ClientEvent {
        var line = ChatLine(room: room, nick: nick, text: text, kind: .message)
        line.isHistory = true
        return .chat(line)
    }

    func testHistoryPlayedBackIsNeitherRelayedNorATrigger() {
        let router = BridgeRouter(groups: [[BridgeEndpoint(network: 0, room: "#a"), BridgeEndpoint(network: 1, room: "#b")]],
                                  networkLabels: ["A", "B"], options: BridgeOptions())
        XCTAssertEqual(router.route(history("#a", "ana", "old news"), network: 0, ownNick: "bridge"), [])
        var config = BotConfig()
        config.handlers = [BotHandler(prefix: "!deploy", command: "true")]
        let bot = BotCore(config: config)
        XCTAssertEqual(bot.receive(history("#a", "ana", "!deploy"), ownNick: "bot", now: .now), [], "yesterday's !deploy is not a request")
    }

    func testAnAccountMayBeAllowedWhateverItsNick() {
        var config = BotConfig()
        config.handlers = [BotHandler(prefix: "!deploy", command: "true")]
        config.allowNicks = ["account:ops"]
        let bot = BotCore(config: config)
        var line = ChatLine(room: "#a", nick: "anyone", text: "!deploy", kind: .message)
        XCTAssertEqual(bot.receive(.chat(line), ownNick: "bot", now: .now), [], "no account tag: not allowed")
        line.account = "OPS"
        XCTAssertFalse(bot.receive(.chat(line), ownNick: "bot", now: .now).isEmpty)
    }

    private func delivery(_ room: String, _ text: String) -> BridgeRouter.Delivery {
        .init(network: 0, room: room, text: text, kind: .message)
    }

    func testEchoesSettleLinesAndWhatIsUnsettledIsSentAgain() {
        var inFlight = BridgeInFlight()
        for (room, text) in [("#a", "one"), ("#a", "two"), ("#b", "three"), ("#a", "four")] { inFlight.sent(delivery(room, text)) }
        inFlight.echoed(room: "#A", text: "two")
        XCTAssertEqual(inFlight.count, 2, "one was answered otherwise (or dropped): the echoes come in order")
        inFlight.refused(room: "#b")
        XCTAssertEqual(inFlight.takeUnsettled(echoes: true, unwritten: 0), [delivery("#a", "four")])
        XCTAssertEqual(inFlight.count, 0)

        for text in ["x", "y", "z"] { inFlight.sent(delivery("#a", text)) }
        XCTAssertEqual(inFlight.takeUnsettled(echoes: false, unwritten: 1), [delivery("#a", "z")],
                       "without echo-message, only what the pacer never wrote")
    }

    func testLinesSentAgainGoFirstInTheOutbox() {
        var outbox = BridgeOutbox(limit: 3, maxAge: .seconds(60))
        let now = ContinuousClock.now
        outbox.push(delivery("#a", "new"), now: now)
        outbox.pushFront([delivery("#a", "old1"), delivery("#a", "old2")], now: now)
        XCTAssertEqual([outbox.pop(now: now), outbox.pop(now: now), outbox.pop(now: now)].map { $0?.text }, ["old1", "old2", "new"])
        outbox.push(delivery("#a", "n"), now: now)
        outbox.pushFront([delivery("#a", "1"), delivery("#a", "2"), delivery("#a", "3")], now: now)
        XCTAssertEqual(outbox.count, 3)
        XCTAssertEqual(outbox.droppedTotal, 1, "past the limit, the newest falls off and is counted")
    }

    func testARelayableLineCarriesItsSpeakerAndANickForRelaymsg() throws {
        let router = BridgeRouter(groups: [[BridgeEndpoint(network: 0, room: "#a"), BridgeEndpoint(network: 1, room: "#b")]],
                                  networkLabels: ["irc.libera.chat:6697", "10.0.0.1:6667"], options: BridgeOptions())
        let out = router.route(.chat(ChatLine(room: "#a", nick: "ana", text: "hi", kind: .message)), network: 0, ownNick: "bridge")
        let delivery = try XCTUnwrap(out.first)
        XCTAssertEqual(delivery.body, "\u{200B}hi")
        XCTAssertEqual(delivery.relayNick(separator: "/"), "ana/libera")
        let back = router.route(.chat(ChatLine(room: "#b", nick: "bob", text: "yo", kind: .message)), network: 1, ownNick: "bridge")
        XCTAssertNil(back.first?.relayNick(separator: "/"), "an IP address names no network: the bridge's own line")
        let notice = router.route(.chat(ChatLine(room: "#a", nick: "ana", text: "hi", kind: .notice)), network: 0, ownNick: "bridge")
        XCTAssertNil(notice.first?.speaker, "notices stay the bridge's")
        var odd = delivery
        odd.speaker = ("9lives", "libera")
        XCTAssertNil(odd.relayNick(separator: "/"), "not a nick")
        odd.speaker = ("an a!", "Libera Chat")
        XCTAssertEqual(odd.relayNick(separator: "/"), "ana/LiberaChat", "cleaned to what a nick may hold")
    }

    func testARefusedRelaymsgHandsBackEveryRelayedLineOfItsRoomInOrder() {
        var inFlight = BridgeInFlight()
        for text in ["1", "2", "3"] {
            var line = delivery("#a", "<ana> \(text)")
            line.speaker = ("ana", "libera")
            line.body = text
            inFlight.sent(line)
        }
        inFlight.sent(delivery("#b", "other"))
        XCTAssertEqual(inFlight.relayRefused(room: "#A").map(\.text), ["<ana> 1", "<ana> 2", "<ana> 3"])
        XCTAssertEqual(inFlight.relayRefused(room: "#a"), [], "once")
        XCTAssertEqual(inFlight.count, 1)
    }
}

final class RelaymsgSessionTests: SessionTestCase {
    func testRelayWritesRelaymsgAndARefusalTurnsItOffForTheRoom() {
        let session = session { $0.requestCapabilities = true; $0.relayMessages = true }
        _ = out(session)
        feed(session, ":srv CAP * LS :draft/relaymsg=/ echo-message")
        XCTAssertEqual(out(session), ["CAP REQ :echo-message draft/relaymsg"])
        feed(session, ":srv CAP * ACK :echo-message draft/relaymsg")
        feed(session, ":srv 001 ana :Welcome")
        _ = out(session)
        XCTAssertEqual(session.relaySeparator(in: "#ops"), "/")
        session.relay("\u{200B}hi", as: "bob/libera", to: "#ops", kind: .message)
        XCTAssertEqual(out(session), ["RELAYMSG #ops bob/libera :\u{200B}hi"])
        XCTAssertEqual(feed(session, "@draft/relaymsg=ana :bob/libera!relay@h PRIVMSG #ops :\u{200B}hi"),
                       [.echo(ChatLine(room: "#ops", nick: "bob/libera", text: "\u{200B}hi", kind: .message))])
        XCTAssertEqual(feed(session, ":srv FAIL RELAYMSG PRIVS_NEEDED #ops :You must be a channel operator"),
                       [.refused(code: "RELAYMSG PRIVS_NEEDED", subject: "#ops", text: "You must be a channel operator")])
        XCTAssertNil(session.relaySeparator(in: "#OPS"))
        XCTAssertEqual(session.relaySeparator(in: "#other"), "/")
    }
}
