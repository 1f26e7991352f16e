import DequeModule
import RelayClient
import RelayHTTP
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay connect` as a bot: `--exec CMD` (a coprocess fed every event), `--on
/// PREFIX=CMD` (a handler per command), `--listen PATH` (an announce socket), in
/// any combination on one connection. It stays connected, reconnecting with
/// backoff, until told to quit, refused by the server, or its coprocess exits.
///
/// Every decision is `BotCore`'s and `AnnounceQueue`'s; this spawns, pipes and wires.
final class BotRunner: ClientHostDelegate, Flushable {
    struct Options {
        var exec: String?
        var listen: String?
        /// The webhook listener (`--http`), and what its requests mean.
        var http: WebhookServer.Settings?
        var webhooks: Webhooks?
        var timeout: Duration = .seconds(30)
        /// Incoming events on stdout (else stdout stays quiet).
        var verbose = false
        var format: OutputFormat = .text
        /// SIGHUP: read the password files again; the bot runs on.
        var reload: (() -> Void)?
    }

    private let loop: EventLoop
    private let client: ClientHost
    private let core: BotCore
    private let options: Options
    private var reaper: ChildReaper!
    private var coprocess: ScriptProcess?
    /// The coprocess, also once finished: what it left running is ended when relay exits.
    private var coprocessGroup: ScriptProcess?
    private var handlers: [Int: ScriptProcess] = [:]
    private var announce: AnnounceQueue?
    private var announceServer: AnnounceServer?
    private var webhookServer: WebhookServer?
    /// Webhook requests whose lines still await replies, by request id.
    private var tallies: [Int: WebhookTally] = [:]
    private var deadlineTimer: TimerID?
    private var confirmQueued = false
    /// Lines of replies that may wait for the pacer; past it a coprocess is read no
    /// further (it blocks on its next write) and handler replies are dropped, said on stderr.
    private var droppedEvents = 0
    /// Coprocess lines read while the pacer was too far behind, and whether its output is paused.
    private var held = Deque<String>()
    private var throttled = false
    private var stopping = false
    private var exitStatus = ExitStatus.success
    private var printer: StdoutPrinter?
    private var signalled = false

    init(loop: EventLoop, client: ClientHost, core: BotCore, options: Options) {
        self.loop = loop
        self.client = client
        self.core = core
        self.options = options
    }

    func run() throws -> Int32 {
        client.delegate = self
        reaper = try ChildReaper(loop: loop)
        for signo in [SIGINT, SIGTERM] {
            try loop.onSignal(signo) { [unowned self] _ in
                signalled = true
                stop(status: exitStatus)
            }
        }
        try loop.onSignal(SIGHUP) { [options] _ in options.reload?() }
        if options.verbose {
            printer = StdoutPrinter(loop: loop, client: client)
            printer?.onFailure = { [unowned self] problem in
                Diagnostics.say(problem)
                stop(status: ExitStatus.failure)
            }
        }
        if let path = options.listen {
            announce = AnnounceQueue(timeout: options.timeout)
            announceServer = try AnnounceServer(path: path, loop: loop, onLine: { [unowned self] writer, line in
                perform(announce!.submit(line, from: writer, now: .now, backlog: client.session?.pacedBacklog ?? 0))
            }, onGone: { [unowned self] writer in announce?.writerGone(writer) })
        }
        if let settings = options.http, let webhooks = options.webhooks {
            if announce == nil { announce = AnnounceQueue(timeout: options.timeout) }
            let server = try WebhookServer(settings: settings, loop: loop) { [unowned self] id, request in
                webhookRequest(id, request, webhooks)
            }
            webhookServer = server
            Diagnostics.info("http: listening on \(server.url) (POST /send/ROOM)")
        }
        if let command = options.exec {
            coprocess = try ScriptProcess(name: "exec", command: command, loop: loop, reaper: reaper, inputLimit: core.config.coprocessInputLimit,
                                          onLine: { [unowned self] line in coprocessSaid(line) },
                                          onFinished: { [unowned self] status in coprocessExited(status) })
        }
        coprocessGroup = coprocess
        client.connect(timeout: options.timeout)
        try loop.run()
        announceServer?.close()
        webhookServer?.close()
        coprocessGroup?.kill()
        for handler in handlers.values { handler.kill() }
        return try printer?.finish(loop, waiting: !signalled, status: exitStatus) ?? exitStatus
    }

    // MARK: The server

    func client(_ client: ClientHost, event: ClientEvent) {
        guard let session = client.session else { return }
        if options.verbose, !client.isAboutMe(event), let line = options.format.line(for: event, unixTime: Int64(time(nil))) {
            if let problem = printer?.print(line) {
                Diagnostics.say(problem)
                return stop(status: ExitStatus.failure)
            }
        }
        switch event {
        case .registered(let nick):
            Diagnostics.info("connected to \(client.target.address) as \(nick)")
            if let announce { perform(announce.registered()) }
        case .joined(let room):
            announce?.joined(room)
        case .part(let room, let nick, _) where Casemapping.equal(nick, session.nick),
             .kick(let room, let nick, _, _) where Casemapping.equal(nick, session.nick):
            announce?.left(room)
        case .confirmed(let token):
            if let announce { perform(announce.confirmed(token: token)) }
        case .refused(let code, let subject, let text):
            announce?.refused(code: code, subject: subject, text: text)
            Diagnostics.warn("\(subject.map { "\($0): " } ?? "")\(code) \(text)")
        case .nickInUse(let taken, let next):
            Diagnostics.warn("nick \(taken) is taken; trying \(next)")
        case .warning(let text):
            Diagnostics.warn("\(client.target.address): \(text)")
        case .failed(let failure):
            Diagnostics.log(failure.isRefusal ? .error : .warn, "\(client.target.address): \(failure)")
            if failure.isRefusal { return stop(status: failure.exitStatus) }
            client.close()  // the close brings clientDisconnected, which reconnects
        default:
            break
        }
        perform(core.receive(event, ownNick: session.nick, now: .now, unixTime: Int64(time(nil))))
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if let announce { perform(announce.disconnected()) }
        if stopping { return finishIfDone() }
        let seconds = client.reconnectLater(timeout: options.timeout)
        Diagnostics.warn("lost \(client.target.address) (\(reason)); reconnecting in \(seconds) s")
    }

    // MARK: Carrying out decisions

    private func perform(_ actions: [BotAction]) {
        for action in actions {
            switch action {
            case .feedCoprocess(let line):
                guard let coprocess, coprocess.input.isOpen else { continue }
                if coprocess.input.write(Array((line + "\n").utf8)) {
                    if droppedEvents > 0 {
                        Diagnostics.warn("exec: the script was not reading its input: \(droppedEvents) event(s) were dropped")
                        droppedEvents = 0
                    }
                } else {
                    droppedEvents += 1
                }
            case .startHandler(let run):
                startHandler(run)
            case .killHandler(let id):
                handlers[id]?.terminate()
            case .say(let target, let text, let kind):
                say(text, to: target, kind: kind)
            case .raw(let line):
                client.session?.raw(line)
            case .warn(let text):
                Diagnostics.warn(text)
            }
        }
        client.pump()
        rearm()
    }

    private func perform(_ actions: [AnnounceQueue.Action]) {
        for action in actions {
            switch action {
            case .send(let target, let text, let join):
                guard let session = client.session else { continue }
                if join { session.join(target, key: client.sessionConfig.roomKeys[Casemapping.fold(target)]) }
                session.say(text, to: target)
                queueConfirmation()
            case .reply(let writer, let text) where WebhookServer.owns(writer):
                webhookReply(writer, text)
            case .reply(let writer, let text):
                announceServer?.reply(writer, text)
            }
        }
        client.pump()
        rearm()
    }

    // MARK: Webhooks

    /// A request: answered at once, or its lines go into the announce queue as
    /// one writer's (the request's id), answered as their replies come.
    private func webhookRequest(_ id: Int, _ request: HTTPRequest, _ webhooks: Webhooks) {
        guard let announce, let server = webhookServer else { return }
        switch webhooks.decide(request) {
        case .answer(let response):
            server.respond(id, response)
        case .post(let room, let lines, let wait):
            // All or nothing: a request is not half said because the queue filled up midway.
            guard announce.pendingCount + lines.count <= announce.limit else {
                return server.respond(id, HTTPResponse(503, "busy: \(announce.pendingCount) lines are waiting; try later",
                                                       headers: [("Retry-After", "5")]))
            }
            tallies[id] = WebhookTally(room: room, lines: lines.count, wait: wait)
            for line in lines {
                perform(announce.submit("\(room) \(line)", from: id, now: .now, backlog: client.session?.pacedBacklog ?? 0))
                if let response = tallies[id]?.submittedOne() { server.respond(id, response) }
            }
            if wait, tallies[id]?.answered == false {
                let seconds = options.timeout.components.seconds
                loop.schedule(after: options.timeout) { [weak self] in
                    guard let self, let response = self.tallies[id]?.timedOut(after: seconds) else { return }
                    self.webhookServer?.respond(id, response)
                }
            }
        }
    }

    private func webhookReply(_ id: Int, _ text: String) {
        guard var tally = tallies[id] else { return }
        let wasAnswered = tally.answered
        if let response = tally.reply(text) { webhookServer?.respond(id, response) }
        // Refused after the client had its answer (202): said here, so it is not lost silently.
        if wasAnswered, text.hasPrefix("error ") {
            Diagnostics.warn("http: a line for \(tally.room) was not delivered: \(text.dropFirst(6))")
        }
        tallies[id] = tally.isSettled ? nil : tally
    }

    private func say(_ text: String, to target: String, kind: ChatLine.Kind) {
        guard let session = client.session, client.isConnected, session.isRegistered else {
            return Diagnostics.warn("not connected: a reply to \(target) was not sent")
        }
        guard core.mayQueueReply(backlog: session.pacedBacklog) else {
            return Diagnostics.warn("\(session.pacedBacklog) lines already wait for the pacer: a reply to \(target) was dropped")
        }
        session.say(text, to: target, kind: kind)
    }

    /// The announce lines sent this turn share one confirmation PING, queued
    /// behind them at the start of the next turn.
    private func queueConfirmation() {
        guard !confirmQueued else { return }
        confirmQueued = true
        loop.flushSoon(self)
    }

    func flush() {
        confirmQueued = false
        guard let announce, announce.needsConfirmation, let session = client.session else { return }
        announce.confirmationQueued(token: session.confirm())
        client.pump()
    }

    /// One timer for the core's and the announce queue's next deadlines.
    private func rearm() {
        if let deadlineTimer { loop.cancel(deadlineTimer) }
        deadlineTimer = nil
        guard let next = [core.nextDeadline, announce?.nextDeadline].compactMap({ $0 }).min() else { return }
        deadlineTimer = loop.schedule(at: next) { [weak self] in
            guard let self else { return }
            self.deadlineTimer = nil
            let now = ContinuousClock.now
            self.perform(self.core.tick(now: now))
            if let announce = self.announce { self.perform(announce.tick(now: now)) }
        }
    }

    // MARK: Scripts

    private func startHandler(_ run: HandlerRun) {
        do {
            let process = try ScriptProcess(name: run.name, command: run.command, environment: run.environment, loop: loop,
                                            reaper: reaper, inputLimit: core.config.handlerInputLimit,
                                            onLine: { [unowned self] line in core.handlerOutput(id: run.id, line: line) },
                                            onFinished: { [unowned self] status in
                                                handlers[run.id] = nil
                                                perform(core.handlerExited(id: run.id, status: status, now: .now))
                                                finishIfDone()
                                            })
            handlers[run.id] = process
            process.input.write(Array(run.input.utf8))
            process.input.closeAfterFlush()
        } catch {
            Diagnostics.say("\(run.name): cannot start: \(error)")
            perform(core.handlerExited(id: run.id, status: 127, now: .now))
        }
    }

    /// A line the coprocess printed. When the pacer is `core.holdCoprocessAt` lines behind,
    /// its output is read no further (it blocks on its next write) and the lines of
    /// the read in hand wait here — at most one read's worth — until the backlog
    /// halves: nothing is lost, nothing grows without bound.
    private func coprocessSaid(_ line: String) {
        let behind = (client.session?.pacedBacklog ?? 0) >= core.holdCoprocessAt
        guard held.isEmpty && !behind else {
            held.append(line)
            if !throttled { throttle() }
            return
        }
        perform(core.coprocessLine(line))
    }

    private func throttle() {
        guard let coprocess else { return }
        throttled = true
        coprocess.pauseOutput()
        client.whenBacklog(atMost: core.resumeCoprocessAt) { [weak self] in
            guard let self else { return }
            while let session = self.client.session, session.pacedBacklog < self.core.holdCoprocessAt, let line = self.held.popFirst() {
                self.perform(self.core.coprocessLine(line))
            }
            guard self.held.isEmpty else { return self.throttle() }
            self.throttled = false
            self.coprocess?.resumeOutput()
        }
    }

    /// The coprocess ended: relay ends too, with its status (a supervisor restarts both).
    private func coprocessExited(_ status: Int32) {
        coprocess = nil
        if stopping { return finishIfDone() }
        Diagnostics.say("exec: the script exited with status \(status); quitting")
        stop(status: status)
    }

    // MARK: Ending

    /// QUIT; close the coprocess's stdin and give it its grace before SIGTERM
    /// (then SIGKILL); end running handlers. A second signal ends everything at once.
    /// The times are BotConfig's.
    private func stop(status: Int32) {
        if stopping { return loop.stop() }
        stopping = true
        exitStatus = status
        client.quit(nil)
        if let coprocess {
            coprocess.input.closeAfterFlush()
            let (grace, kill) = (core.config.coprocessGrace, core.config.killGrace)
            loop.schedule(after: grace) {
                guard !coprocess.hasExited else { return }
                // A script that ignores its input's end: say so, so the SIGTERM (then SIGKILL) is no mystery.
                Diagnostics.warn("exec: still running \(grace) after its input closed; sending SIGTERM, then SIGKILL \(kill) later")
                coprocess.terminate(grace: kill)
            }
        }
        for handler in handlers.values { handler.terminate(grace: core.config.handlerGrace) }
        loop.schedule(after: core.config.stopBound) { [weak self] in self?.loop.stop() }
        finishIfDone()
    }

    private func finishIfDone() {
        guard stopping, !client.hasConnection, coprocess == nil, handlers.isEmpty else { return }
        loop.stop()
    }
}
