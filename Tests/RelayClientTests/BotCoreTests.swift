import RelayClient
import XCTest

/// The bot's policy with lines in and actions out, on a fake clock.
final class BotCoreTests: XCTestCase {
    private let start = ContinuousClock.now

    private func bot(_ configure: (inout BotConfig) -> Void = { _ in }) -> BotCore {
        var config = BotConfig()
        config.handlers = [BotHandler(prefix: "!uptime", command: "uptime"), BotHandler(prefix: "!echo", command: "cat")]
        config.server = "irc.example:6667"
        config.defaultRoom = "#ops"
        configure(&config)
        return BotCore(config: config)
    }

    private func said(_ room: String?, _ nick: String, _ text: String, _ kind: ChatLine.Kind = .message) -> ClientEvent {
        .chat(ChatLine(room: room, nick: nick, text: text, kind: kind))
    }

    private func runs(_ actions: [BotAction]) -> [HandlerRun] {
        actions.compactMap { if case .startHandler(let run) = $0 { return run } else { return nil } }
    }

    func testAHandlerRunsWithTheMessageOnlyInItsEnvironmentAndStdin() throws {
        let core = bot()
        let actions = core.receive(said("#ops", "ana", "!echo $(touch /tmp/pwned) `id`"), ownNick: "bot", now: start)
        let run = try XCTUnwrap(runs(actions).first)
        XCTAssertEqual(run.command, "cat", "the command line is the configured one, never built from the text")
        XCTAssertEqual(run.environment, ["RELAY_NICK": "ana", "RELAY_ROOM": "#ops", "RELAY_TEXT": "!echo $(touch /tmp/pwned) `id`",
                                         "RELAY_ARGS": "$(touch /tmp/pwned) `id`", "RELAY_SERVER": "irc.example:6667"])
        XCTAssertEqual(run.input, "!echo $(touch /tmp/pwned) `id`\n")
        core.handlerOutput(id: run.id, line: "$(touch /tmp/pwned) `id`")
        XCTAssertEqual(core.handlerExited(id: run.id, status: 0, now: start),
                       [.say(to: "#ops", text: "$(touch /tmp/pwned) `id`", kind: .message)])
    }

    func testPrivateTriggersAreAnsweredPrivately() throws {
        let core = bot()
        let run = try XCTUnwrap(runs(core.receive(said(nil, "ana", "!uptime"), ownNick: "bot", now: start)).first)
        XCTAssertEqual(run.environment["RELAY_ROOM"], "")
        core.handlerOutput(id: run.id, line: "up 3 days")
        XCTAssertEqual(core.handlerExited(id: run.id, status: 0, now: start), [.say(to: "ana", text: "up 3 days", kind: .message)])
    }

    func testNeverItselfNeverANoticeOnlyTheAllowed() {
        let core = bot { $0.allowNicks = ["ana", "ops-*"]; $0.coprocess = true }
        XCTAssertEqual(core.receive(said("#ops", "bot", "!uptime"), ownNick: "bot", now: start), [], "its own lines")
        XCTAssertEqual(core.receive(said("#ops", "ana", "!uptime", .notice), ownNick: "bot", now: start), [], "notices")
        XCTAssertEqual(core.receive(said("#ops", "mallory", "!uptime"), ownNick: "bot", now: start), [], "not allowed")
        XCTAssertEqual(runs(core.receive(said("#ops", "ops-jo", "!uptime"), ownNick: "bot", now: start)).count, 1, "a mask")
        let rooms = bot { $0.allowRooms = ["#ops"] }
        XCTAssertEqual(rooms.receive(said("#dev", "ana", "!uptime"), ownNick: "bot", now: start), [])
        XCTAssertEqual(rooms.receive(said(nil, "ana", "!uptime"), ownNick: "bot", now: start), [], "private, with only rooms allowed")
        XCTAssertEqual(runs(rooms.receive(said("#OPS", "ana", "!uptime"), ownNick: "bot", now: start)).count, 1)
    }

    func testACooldownPerNick() {
        let core = bot { $0.cooldown = .seconds(2) }
        XCTAssertEqual(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start)).count, 1)
        XCTAssertEqual(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start + .seconds(1)), [])
        XCTAssertEqual(runs(core.receive(said("#ops", "bob", "!uptime"), ownNick: "bot", now: start + .seconds(1))).count, 1)
        XCTAssertEqual(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start + .seconds(2))).count, 1)
    }

    func testAChangedNickFromTheSameHostIsStillInItsCooldown() {
        let core = bot { $0.cooldown = .seconds(2) }
        func from(_ nick: String, _ host: String) -> ClientEvent {
            .chat(ChatLine(room: "#ops", nick: nick, text: "!uptime", kind: .message, host: host))
        }
        XCTAssertEqual(runs(core.receive(from("ana", "evil.example"), ownNick: "bot", now: start)).count, 1)
        XCTAssertEqual(core.receive(from("ana_", "evil.example"), ownNick: "bot", now: start + .milliseconds(500)), [])
        XCTAssertEqual(core.receive(from("ana__", "EVIL.example"), ownNick: "bot", now: start + .seconds(1)), [])
        XCTAssertEqual(runs(core.receive(from("bob", "good.example"), ownNick: "bot", now: start + .seconds(1))).count, 1)
    }

    func testEveryoneTogetherHasATriggerRate() {
        let core = bot { $0.triggerBurst = 10; $0.triggerRate = 1; $0.maxHandlers = 64 }
        var started = 0, warnings = 0
        for index in 0..<100 {
            let event = ClientEvent.chat(ChatLine(room: "#ops", nick: "n\(index)", text: "!uptime", kind: .message, host: "h\(index)"))
            let actions = core.receive(event, ownNick: "bot", now: start)
            started += runs(actions).count
            warnings += actions.filter { if case .warn = $0 { return true } else { return false } }.count
        }
        XCTAssertEqual(started, 10)
        XCTAssertEqual(warnings, 1, "said once per spell")
        let later = ClientEvent.chat(ChatLine(room: "#ops", nick: "late", text: "!uptime", kind: .message, host: "h-late"))
        XCTAssertEqual(runs(core.receive(later, ownNick: "bot", now: start + .seconds(1))).count, 1)
    }

    func testRepliesAndTheCoprocessYieldToABacklog() {
        let core = bot { $0.replyBacklogLimit = 200 }
        XCTAssertTrue(core.mayQueueReply(backlog: 199))
        XCTAssertFalse(core.mayQueueReply(backlog: 200), "past the limit a handler's reply is dropped, not queued")
        XCTAssertEqual(core.holdCoprocessAt, 200)
        XCTAssertEqual(core.resumeCoprocessAt, 100, "read again once the backlog halved")
        XCTAssertEqual(BotConfig().coprocessGrace, .seconds(2), "the documented stop: 2 s, then SIGTERM")
    }

    func testAHandlerKilledAfterPrintingSaysSo() throws {
        let core = bot()
        let run = try XCTUnwrap(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start)).first)
        core.handlerOutput(id: run.id, line: "partial")
        XCTAssertEqual(core.handlerExited(id: run.id, status: 128 + 9, now: start), [
            .say(to: "#ops", text: "partial", kind: .message),
            .say(to: "#ops", text: "!uptime was killed by signal 9", kind: .message),
        ])
    }

    func testAtMostMaxHandlersRunTheRestQueueThenBusy() {
        let core = bot { $0.maxHandlers = 2; $0.handlerQueueLimit = 3; $0.cooldown = .zero }
        var started: [HandlerRun] = []
        var replies: [BotAction] = []
        for index in 0..<6 {
            let actions = core.receive(said("#ops", "ana", "!uptime \(index)"), ownNick: "bot", now: start)
            started += runs(actions)
            replies += actions.filter { if case .say = $0 { return true } else { return false } }
        }
        XCTAssertEqual(started.map { $0.environment["RELAY_ARGS"] }, ["0", "1"])
        XCTAssertEqual(core.queuedCount, 3)
        XCTAssertEqual(replies, [.say(to: "#ops", text: "!uptime: busy, try later", kind: .message)])
        let next = runs(core.handlerExited(id: started[0].id, status: 0, now: start))
        XCTAssertEqual(next.map { $0.environment["RELAY_ARGS"] }, ["2"], "a slot frees, the oldest waiting runs")
        XCTAssertEqual(core.runningCount, 2)
    }

    func testATimeoutKillsOnceAndSaysSoAndTheSlotFreesOnExit() throws {
        let core = bot { $0.handlerTimeout = .seconds(10); $0.maxHandlers = 1; $0.cooldown = .zero }
        let run = try XCTUnwrap(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start)).first)
        _ = core.receive(said("#ops", "ana", "!echo waiting"), ownNick: "bot", now: start)
        XCTAssertEqual(core.nextDeadline, start + .seconds(10))
        XCTAssertEqual(core.tick(now: start + .seconds(9)), [])
        XCTAssertEqual(core.tick(now: start + .seconds(10)), [
            .killHandler(id: run.id), .say(to: "#ops", text: "!uptime: timed out after 10 s", kind: .message),
        ])
        XCTAssertEqual(core.tick(now: start + .seconds(11)), [], "once")
        core.handlerOutput(id: run.id, line: "too late")
        let after = core.handlerExited(id: run.id, status: 143, now: start + .seconds(11))
        XCTAssertEqual(runs(after).map(\.name), ["!echo"], "nothing more from the killed one; the next runs")
    }

    func testRepliesAreCutToMaxLinesWithANote() throws {
        let core = bot { $0.maxReplyLines = 5 }
        let run = try XCTUnwrap(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start)).first)
        for index in 1...50 { core.handlerOutput(id: run.id, line: "line \(index)") }
        core.handlerOutput(id: run.id, line: "   ")
        let replies = core.handlerExited(id: run.id, status: 0, now: start)
        XCTAssertEqual(replies, (1...5).map { .say(to: "#ops", text: "line \($0)", kind: .message) }
                       + [.say(to: "#ops", text: "… (45 more lines)", kind: .message)])
    }

    func testAFailingHandlerWithNoOutputSaysSoAndHelpListsThePrefixes() throws {
        let core = bot()
        let run = try XCTUnwrap(runs(core.receive(said("#ops", "ana", "!uptime"), ownNick: "bot", now: start)).first)
        XCTAssertEqual(core.handlerExited(id: run.id, status: 2, now: start), [.say(to: "#ops", text: "!uptime failed (exit 2)", kind: .message)])
        XCTAssertEqual(core.receive(said("#ops", "bob", "!help"), ownNick: "bot", now: start),
                       [.say(to: "#ops", text: "Commands: !uptime, !echo", kind: .message)])
        let claimed = bot { $0.handlers = [BotHandler(prefix: "!help", command: "echo mine")] }
        XCTAssertEqual(runs(claimed.receive(said("#ops", "bob", "!help"), ownNick: "bot", now: start)).map(\.command), ["echo mine"])
    }

    func testTheCoprocessGetsEveryAllowedEventInTextOrJSON() {
        let text = bot { $0.coprocess = true; $0.handlers = [] }
        XCTAssertEqual(text.receive(said("#ops", "ana", "hi"), ownNick: "bot", now: start), [.feedCoprocess("#ops <ana> hi")])
        XCTAssertEqual(text.receive(.join(room: "#ops", nick: "bob"), ownNick: "bot", now: start), [.feedCoprocess("#ops -!- bob joined")])
        XCTAssertEqual(text.receive(.join(room: "#ops", nick: "bot"), ownNick: "bot", now: start), [])
        let json = bot { $0.coprocess = true; $0.json = true; $0.handlers = [] }
        XCTAssertEqual(json.receive(said("#ops", "ana", "say \"hi\"\\ \u{2}ü"), ownNick: "bot", now: start, unixTime: 0),
                       [.feedCoprocess(##"{"time":"1970-01-01T00:00:00Z","type":"message","room":"#ops","nick":"ana","text":"say \"hi\"\\ \u0002ü"}"##)])
    }

    func testCoprocessLinesGoWhereTheyNameOrToTheLastConversation() {
        let core = bot { $0.coprocess = true; $0.handlers = [] }
        XCTAssertEqual(core.coprocessLine("morning"), [.say(to: "#ops", text: "morning", kind: .message)], "the default room first")
        _ = core.receive(said("#dev", "ana", "hello"), ownNick: "bot", now: start)
        XCTAssertEqual(core.coprocessLine("hi ana"), [.say(to: "#dev", text: "hi ana", kind: .message)])
        XCTAssertEqual(core.coprocessLine("#ops deploy done"), [.say(to: "#ops", text: "deploy done", kind: .message)])
        XCTAssertEqual(core.coprocessLine("ana is away"), [.say(to: "#dev", text: "ana is away", kind: .message)],
                       "a nick that never wrote privately is just a word")
        _ = core.receive(said(nil, "ana", "psst"), ownNick: "bot", now: start)
        _ = core.receive(said("#dev", "bob", "hey"), ownNick: "bot", now: start)
        XCTAssertEqual(core.coprocessLine("ana got it"), [.say(to: "ana", text: "got it", kind: .message)], "a correspondent by name")
        XCTAssertEqual(core.coprocessLine("/me waves"), [.say(to: "#dev", text: "waves", kind: .action)])
        XCTAssertEqual(core.coprocessLine("   "), [])
        guard case .warn? = core.coprocessLine("/raw QUIT :bye").first else { return XCTFail("raw refused") }
        let raw = bot { $0.coprocess = true; $0.allowRaw = true }
        XCTAssertEqual(raw.coprocessLine("/raw MODE #ops +v ana"), [.raw("MODE #ops +v ana")])
    }

    func testJSONLinesFromTheCoprocess() {
        let core = bot { $0.coprocess = true; $0.json = true }
        XCTAssertEqual(core.coprocessLine(##"{"to": "#ops", "text": "quote \" slash \\ tab \t bold \u0002 😀 \ud83d\ude00"}"##),
                       [.say(to: "#ops", text: "quote \" slash \\ tab \t bold \u{2} 😀 😀", kind: .message)])
        XCTAssertEqual(core.coprocessLine(##"{"to": "ana", "action": "waves"}"##), [.say(to: "ana", text: "waves", kind: .action)])
        XCTAssertEqual(core.coprocessLine(##"{"notice": "fyi"}"##), [.say(to: "#ops", text: "fyi", kind: .notice)])
        for bad in ["not json", "[1,2]", ##"{"to": "#ops"}"##, ##"{"raw": "QUIT"}"##, ##"{"text": "x"} trailing"##] {
            guard case .warn? = core.coprocessLine(bad).first else { return XCTFail("\(bad) is refused with a warning") }
        }
    }
}

final class JSONValueTests: XCTestCase {
    func testRoundTripsWhatOutputFormatWrites() throws {
        let text = "quote \" backslash \\ newline \n tab \t nul \u{0} del \u{7F} ü 😀"
        let event = ClientEvent.chat(ChatLine(room: "#ops", nick: "ana", text: text, kind: .message))
        let line = try XCTUnwrap(OutputFormat.json.line(for: event, unixTime: 0))
        guard case .object(let fields) = try JSONValue.parse(line) else { return XCTFail(line) }
        XCTAssertEqual(fields["text"], .string(text))
        XCTAssertEqual(try JSONValue.parse(" [1, -2.5e3, true, false, null, {}] "),
                       .array([.number(1), .number(-2500), .bool(true), .bool(false), .null, .object([:])]))
    }

    func testMalformedInputIsAnErrorNeverATrap() {
        for bad in ["", "{", "{\"a\"}", "{\"a\":}", "\"\\x\"", "\"\\ud800\"", "\"a\nb\"", "01x", "[1,]", "{\"a\":1,}",
                    String(repeating: "[", count: 100), "nan", "\"\u{1}\""] {
            XCTAssertThrowsError(try JSONValue.parse(bad), bad)
        }
    }
}

final class AnnounceQueueTests: XCTestCase {
    private let start = ContinuousClock.now

    func testLinesWaitForTheServerThenGoOutJoiningFirstAndAreConfirmed() {
        let queue = AnnounceQueue(timeout: .seconds(30))
        XCTAssertEqual(queue.submit("#ops backup done", from: 1, now: start),
                       [.reply(writer: 1, text: "queued: waiting for the server (at most 30 s)")], "not connected yet: it waits, and says so")
        XCTAssertEqual(queue.registered(), [.send(target: "#ops", text: "backup done", join: true)])
        XCTAssertEqual(queue.submit("#ops again", from: 2, now: start), [.send(target: "#ops", text: "again", join: false)])
        XCTAssertEqual(queue.submit("ana psst", from: 2, now: start), [.send(target: "ana", text: "psst", join: false)])
        XCTAssertTrue(queue.needsConfirmation)
        queue.confirmationQueued(token: "t1")
        XCTAssertFalse(queue.needsConfirmation)
        XCTAssertEqual(queue.confirmed(token: "t1"), [.reply(writer: 1, text: "ok"), .reply(writer: 2, text: "ok"), .reply(writer: 2, text: "ok")])
    }

    func testASentLineIsNeverTimedOutOnlyLostAndABacklogIsNews() {
        let queue = AnnounceQueue(timeout: .seconds(30))
        _ = queue.registered()
        XCTAssertEqual(queue.submit("#ops one", from: 1, now: start, backlog: 250), [
            .reply(writer: 1, text: "queued: 250 lines ahead"), .send(target: "#ops", text: "one", join: true),
        ])
        queue.confirmationQueued(token: "t")
        XCTAssertNil(queue.nextDeadline, "a sent line waits for its PONG however long the pacer or the server takes")
        XCTAssertEqual(queue.tick(now: start + .seconds(600)), [])
        _ = queue.submit("#ops two", from: 2, now: start)
        XCTAssertEqual(queue.nextDeadline, start + .seconds(2))
        XCTAssertEqual(queue.tick(now: start + .seconds(2)), [.reply(writer: 2, text: "queued: sent, not confirmed by the server yet")])
        XCTAssertNil(queue.nextDeadline, "said once")
        queue.confirmationQueued(token: "t2")
        XCTAssertEqual(queue.confirmed(token: "t2"), [.reply(writer: 1, text: "ok"), .reply(writer: 2, text: "ok")])
        var tally = AnnounceTally()
        tally.post()
        tally.inputDone = true
        tally.reply("queued: 250 lines ahead")
        XCTAssertTrue(tally.queued)
        XCTAssertNil(tally.outcome, "news, not the answer")
        tally.reply("ok")
        XCTAssertEqual(tally.outcome, 0)
    }

    func testARefusalIsTheOldestUnconfirmedLineForItsTarget() {
        let queue = AnnounceQueue(timeout: .seconds(30))
        _ = queue.registered()
        _ = queue.submit("#a one", from: 1, now: start)
        _ = queue.submit("#quiet two", from: 2, now: start)
        _ = queue.submit("#quiet three", from: 3, now: start)
        queue.confirmationQueued(token: "t")
        queue.refused(code: "404", subject: "#QUIET", text: "Cannot send to channel")
        XCTAssertEqual(queue.confirmed(token: "t"), [
            .reply(writer: 1, text: "ok"), .reply(writer: 2, text: "error 404 Cannot send to channel"), .reply(writer: 3, text: "ok"),
        ])
    }

    func testBadLinesLostConnectionsAndTimeouts() {
        let queue = AnnounceQueue(timeout: .seconds(5), limit: 2)
        XCTAssertEqual(queue.submit("#ops", from: 1, now: start), [.reply(writer: 1, text: "error expected '#room text' or 'nick text'")])
        XCTAssertEqual(queue.submit("bad!nick hi", from: 1, now: start), [.reply(writer: 1, text: "error expected '#room text' or 'nick text'")])
        _ = queue.submit("#ops a", from: 1, now: start)
        _ = queue.submit("#ops b", from: 2, now: start)
        XCTAssertEqual(queue.submit("#ops c", from: 3, now: start), [.reply(writer: 3, text: "error busy: 2 lines are waiting; try later")])
        XCTAssertEqual(queue.nextDeadline, start + .seconds(5))
        queue.writerGone(2)
        XCTAssertEqual(queue.tick(now: start + .seconds(5)), [.reply(writer: 1, text: "error the server was not reachable within 5 s")],
                       "the writer that hung up is told nothing")
        _ = queue.registered()
        _ = queue.submit("#ops d", from: 4, now: start + .seconds(6))
        XCTAssertEqual(queue.disconnected(), [.reply(writer: 4, text: "error the connection to the server was lost before it confirmed the line")])
    }
}

final class AnnounceTallyTests: XCTestCase {
    func testEveryLineNeedsItsOk() {
        var tally = AnnounceTally()
        tally.post(); tally.post()
        tally.reply("ok")
        XCTAssertNil(tally.outcome, "input still open")
        tally.inputDone = true
        XCTAssertNil(tally.outcome, "one outstanding")
        tally.reply("error 404 Cannot send to channel")
        XCTAssertEqual(tally.outcome, 1)
        XCTAssertEqual(tally.errors, ["404 Cannot send to channel"])
    }

    func testALineThatCouldNotBePostedFailsTheRunButOthersAreStillAwaited() {
        var tally = AnnounceTally()
        tally.post()
        tally.refuse("stdin: a line of 20000 bytes is longer than 16384 and was not sent")
        tally.inputDone = true
        XCTAssertNil(tally.outcome, "the posted line has no answer yet")
        tally.reply("ok")
        XCTAssertEqual(tally.outcome, 1)
    }

    func testAJSONReplyToAnEmptyOrBrokenTargetIsRefusedNotSent() {
        // Found by fuzzing (fuzz/regressions/BotReply): "to": "" went to "*", "a b" to "a_b".
        var config = BotConfig()
        config.coprocess = true
        config.json = true
        let bot = BotCore(config: config)
        for target in ["", "a b", "#a,#b", ":x"] {
            let actions = bot.coprocessLine("{\"text\":\"hi\",\"to\":\"\(target)\"}")
            XCTAssertEqual(actions, [.warn("the script sent to \"\(target)\", which is not a room or a nick")], target)
        }
    }
}
