import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay connect` without a terminal: send `--send` texts or stdin lines to
/// the rooms, confirm the server processed them, print what arrives, exit with
/// the documented code.
///
/// Phases: connecting → registered (joins and sends queued) → confirming (a PING
/// behind the last message) → quitting (QUIT, wait briefly for the close) → exit.
/// With `--stay`, it keeps logging after its input is done, reconnecting when
/// the connection drops.
final class ScriptRunner: ClientHostDelegate, ReadinessHandler {
    struct Options {
        var texts: [String] = []
        var readStdin = false
        var notice = false
        var noJoin = false
        var stay = false
        /// Print incoming lines on stdout. Off for a one-shot send (cron mails
        /// whatever a job prints) unless --json or --verbose ask for them.
        var printIncoming = true
        var format: OutputFormat = .text
        var timeout: Duration = .seconds(30)
    }

    private let loop: EventLoop
    private let client: ClientHost
    private let options: Options
    private var rooms: [String]
    private var stdinFramer = LineFramer(maxLineLength: 16 * 1024)
    private var stdinDone: Bool
    private var stdinBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    /// Texts sent per room while not joined, for the join-send-part fallback on 404.
    private var sentWithoutJoin: [String: [String]] = [:]
    private var fallbackRooms: [String] = []
    private var awaitingToken: String?
    /// The --send texts went out (once, whatever reconnects follow).
    private var textsSent = false
    private var linesSent = 0
    private var failures: [String] = []
    private var timeoutTimer: TimerID?
    private var finished = false
    private var exitStatus = ExitStatus.success
    /// Stop reading stdin while this many lines wait for the pacer.
    private let backlogLimit = 1000

    init(loop: EventLoop, client: ClientHost, rooms: [String], options: Options) {
        self.loop = loop
        self.client = client
        self.rooms = rooms
        self.options = options
        self.stdinDone = !options.readStdin
    }

    func run() throws -> Int32 {
        client.delegate = self
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            try loop.onSignal(signo) { [unowned self] _ in
                // Already on the way out (waiting for the server's close): go now.
                if finished { return loop.stop() }
                if options.stay && stdinDone && failures.isEmpty { finish(ExitStatus.success) }
                else { fail("interrupted") }
            }
        }
        startTimeout { [client] in
            (client.isResolving ? "resolve \(client.target.host)" : client.target.address) + ": no answer"
        }
        client.connect(timeout: options.timeout)
        try loop.run()
        return exitStatus
    }

    // MARK: Events

    func client(_ client: ClientHost, event: ClientEvent) {
        if options.printIncoming, !client.isAboutMe(event),
           let line = options.format.line(for: event, unixTime: Int64(time(nil))) {
            print(line)
            fflush(stdout)
        }
        guard let session = client.session else { return }
        switch event {
        case .registered:
            cancelTimeout()
            // After a reconnect (--stay), the work is done already: just keep logging.
            if textsSent || finished { return }
            textsSent = true
            for text in options.texts { send(text, session) }
            if options.readStdin {
                startReadingStdin()
            } else {
                confirm(session)
            }
        case .nickInUse(let taken, let next):
            Diagnostics.say("nick \(taken) is taken; trying \(next)")
        case .refused(let code, let subject, let text):
            if code == "404", options.noJoin, let room = subject, sentWithoutJoin[Casemapping.fold(room)] != nil,
               !fallbackRooms.contains(where: { Casemapping.equal($0, room) }) {
                fallbackRooms.append(room)  // outside messages refused: join, send, part
                return
            }
            failures.append("\(subject.map { "\($0): " } ?? "")\(code) \(text)")
        case .confirmed(let token) where token == awaitingToken:
            awaitingToken = nil
            cancelTimeout()
            if !fallbackRooms.isEmpty && failures.isEmpty {
                return retryWithJoin(session)
            }
            if !failures.isEmpty { return fail(failures.joined(separator: "; ")) }
            if options.stay { return }
            finish(ExitStatus.success)
        case .failed(let failure):
            // A logger outlives a server restart or a dead link; only a refusal ends it.
            if !failure.isRefusal && mayReconnect {
                Diagnostics.say("\(client.target.address): \(failure)")
                return client.close()  // its close brings clientDisconnected, which reconnects
            }
            fail("\(client.target.address): \(failure)", status: failure.exitStatus)
        default:
            break
        }
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if finished { return loop.stop() }
        if mayReconnect {
            awaitingToken = nil
            let seconds = client.reconnectLater(timeout: options.timeout)
            Diagnostics.say("lost \(client.target.address) (\(reason)); reconnecting in \(seconds) s")
            return
        }
        let named = ["connect ", "resolve ", client.target.address].contains { reason.hasPrefix($0) }
        fail(named ? reason : "\(client.target.address): \(reason)")
        loop.stop()
    }

    /// A logger (--stay) whose own work is done reconnects, unless lines of its
    /// own may have been lost unconfirmed.
    private var mayReconnect: Bool {
        options.stay && stdinDone && failures.isEmpty && !finished && (awaitingToken == nil || linesSent == 0)
    }

    // MARK: Sending

    private func send(_ text: String, _ session: ClientSession) {
        linesSent += 1
        for room in rooms {
            session.say(text, to: room, kind: options.notice ? .notice : .message)
            if options.noJoin { sentWithoutJoin[Casemapping.fold(room), default: []].append(text) }
        }
        client.pump()
    }

    private func confirm(_ session: ClientSession) {
        awaitingToken = session.confirm()
        startTimeout { [client] in "\(client.target.address): no confirmation" }
        client.pump()
    }

    private func retryWithJoin(_ session: ClientSession) {
        let retry = fallbackRooms
        fallbackRooms.removeAll()
        for room in retry {
            session.join(room, key: client.sessionConfig.roomKeys[Casemapping.fold(room)])
            for text in sentWithoutJoin[Casemapping.fold(room)] ?? [] {
                session.say(text, to: room, kind: options.notice ? .notice : .message)
            }
            session.part(room)
            sentWithoutJoin[Casemapping.fold(room)] = nil
        }
        confirm(session)
    }

    // MARK: Stdin

    private func startReadingStdin() {
        do {
            try loop.watch(STDIN_FILENO, interest: .read, handler: self)
        } catch {
            fail("stdin: \(error)")
        }
    }

    /// Stdin is readable: each line is a message to the rooms.
    func handle(_ event: ReadyEvent) {
        guard let session = client.session, client.isConnected else {
            try? loop.setInterest(STDIN_FILENO, [])
            return
        }
        let count = stdinBuffer.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
        if count < 0 && (errno == EAGAIN || errno == EINTR) { return }
        if count <= 0 {
            if let last = stdinFramer.finish() { take(last, session) }
            loop.unwatch(STDIN_FILENO)
            stdinDone = true
            return confirm(session)
        }
        stdinFramer.feed(stdinBuffer[0..<count]) { frame in take(frame, session) }
        client.pump()
        if session.pacedBacklog > backlogLimit {
            // Backpressure: stop reading until the pacer has caught up.
            try? loop.setInterest(STDIN_FILENO, [])
            waitForBacklog(session)
        }
    }

    private func waitForBacklog(_ session: ClientSession) {
        loop.schedule(after: .milliseconds(200)) { [weak self] in
            guard let self, !self.finished else { return }
            if session.pacedBacklog > self.backlogLimit / 2 { return self.waitForBacklog(session) }
            try? self.loop.setInterest(STDIN_FILENO, .read)
        }
    }

    private func take(_ frame: LineFramer.Frame, _ session: ClientSession) {
        switch frame {
        case .line(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            if !text.allSatisfy({ $0 == " " || $0 == "\t" }) { send(text, session) }
        case .tooLong(let length):
            failures.append("stdin: a line of \(length) bytes is longer than 16384 and was not sent")
        }
    }

    // MARK: Ending

    /// Fails with "WHAT within N s" unless cancelled first; `what` is
    /// asked when the time is up (it may still be resolving the name, or not).
    private func startTimeout(_ what: @escaping () -> String) {
        cancelTimeout()
        let seconds = options.timeout.components.seconds
        timeoutTimer = loop.schedule(after: options.timeout) { [weak self] in
            self?.timeoutTimer = nil
            self?.fail("\(what()) within \(seconds) s")
        }
    }

    private func cancelTimeout() {
        if let timeoutTimer { loop.cancel(timeoutTimer) }
        timeoutTimer = nil
    }

    private func fail(_ reason: String, status: Int32 = ExitStatus.failure) {
        guard !finished else { return }
        Diagnostics.say(reason)
        finish(status)
    }

    /// QUIT, then wait (briefly) for the server to close the connection.
    private func finish(_ status: Int32) {
        guard !finished else { return }
        finished = true
        exitStatus = status
        cancelTimeout()
        guard client.quit(nil) else { return loop.stop() }
        // The server's close ends the loop (clientDisconnected); this bounds the wait.
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }
}
