import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay connect` without a terminal: send `--send` texts or stdin lines to
/// the rooms, confirm the server processed them, print what arrives, exit with
/// the documented code. Every decision is `ScriptPolicy`'s; this wires it to
/// the connection, stdin, stdout and the timers.
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
        /// SIGHUP: read what can be read again (the password files); the run goes on.
        var reload: (() -> Void)?
    }

    private let loop: EventLoop
    private let client: ClientHost
    private let options: Options
    private let policy: ScriptPolicy
    private let rooms: [String]
    private var stdinFramer = LineFramer(maxLineLength: 16 * 1024)
    private var stdinBuffer = [UInt8](repeating: 0, count: 64 * 1024)
    private var timeoutTimer: TimerID?
    private var exitStatus = ExitStatus.success
    /// Message lines this run queued (a long text is several), for saying how many were not sent.
    private var linesQueued = 0
    private var printer: StdoutPrinter?
    private var signalled = false
    /// Stop reading stdin while this many lines wait for the pacer.
    private let backlogLimit = 1000

    init(loop: EventLoop, client: ClientHost, rooms: [String], options: Options) {
        self.loop = loop
        self.client = client
        self.rooms = rooms
        self.options = options
        self.policy = ScriptPolicy(options: .init(readStdin: options.readStdin, hasTexts: !options.texts.isEmpty,
                                                  noJoin: options.noJoin, stay: options.stay))
    }

    func run() throws -> Int32 {
        client.delegate = self
        for signo in [SIGINT, SIGTERM] {
            try loop.onSignal(signo) { [unowned self] _ in
                signalled = true
                perform(policy.interrupted())
            }
        }
        try loop.onSignal(SIGHUP) { [options] _ in options.reload?() }
        if options.printIncoming {
            printer = StdoutPrinter(loop: loop, client: client)
            printer?.onFailure = { [unowned self] problem in perform(policy.timedOut(problem)) }
        }
        startTimeout { [client] in
            client.isResolving ? "resolve \(client.target.host): no answer"
                : client.isHandshaking ? "tls \(client.target.address): no handshake" : "\(client.target.address): no answer"
        }
        client.connect(timeout: options.timeout)
        try loop.run()
        return try printer?.finish(loop, waiting: !signalled, status: exitStatus) ?? exitStatus
    }

    // MARK: Events

    func client(_ client: ClientHost, event: ClientEvent) {
        if options.printIncoming, !client.isAboutMe(event),
           let line = options.format.line(for: event, unixTime: Int64(time(nil))) {
            if let problem = printer?.print(line) { return perform(policy.timedOut(problem)) }
        }
        switch event {
        case .registered:
            cancelTimeout()
            perform(policy.registered())
        case .nickInUse(let taken, let next):
            Diagnostics.warn("nick \(taken) is taken; trying \(next)")
        case .warning(let text):
            Diagnostics.warn("\(client.target.address): \(text)")
        case .refused(let code, let subject, let text):
            policy.refused(code: code, subject: subject, text: text)
        case .confirmed(let token):
            if token == policy.awaitingToken { cancelTimeout() }
            perform(policy.confirmed(token: token))
        case .failed(let failure):
            perform(policy.failed(failure, address: client.target.address))
        default:
            break
        }
    }

    func client(_ client: ClientHost, wroteConfirmations tokens: [String]) {
        guard let awaited = policy.awaitingToken, tokens.contains(awaited) else { return }
        startTimeout { [client] in "\(client.target.address): no confirmation" }
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        perform(policy.disconnected(reason: reason, address: client.target.address))
    }

    // MARK: Carrying out the policy

    private func perform(_ steps: [ScriptPolicy.Step]) {
        for step in steps {
            switch step {
            case .sendTexts:
                for text in options.texts { send(text) }
            case .readStdin:
                do {
                    try loop.watch(STDIN_FILENO, interest: .read, handler: self)
                } catch {
                    perform(policy.timedOut("stdin: \(error)"))
                }
            case .confirm:
                // The timeout starts once the PING is written (wroteConfirmations), not
                // now: lines still waiting for the pacer are not the server's delay.
                guard let session = client.session else { continue }
                policy.confirmationQueued(token: session.confirm())
                cancelTimeout()
                client.pump()
            case .retryWithJoin(let room, let texts):
                guard let session = client.session else { continue }
                session.join(room, key: client.sessionConfig.roomKeys[Casemapping.fold(room)])
                for text in texts { session.say(text, to: room, kind: options.notice ? .notice : .message) }
                session.part(room)
            case .finish(let status, let reason):
                if var reason {
                    let unsent = client.session?.unsentMessageCount ?? 0
                    if status != ExitStatus.success && unsent > 0 {
                        reason += "; \(unsent) of \(linesQueued) line\(linesQueued == 1 ? "" : "s") were not sent"
                    }
                    Diagnostics.say(reason)
                }
                finish(status)
            case .close(let note):
                Diagnostics.warn(note)
                client.close()
            case .reconnect(let reason):
                let seconds = client.reconnectLater(timeout: options.timeout)
                Diagnostics.warn("lost \(client.target.address) (\(reason)); reconnecting in \(seconds) s")
            case .stopNow:
                loop.stop()
            }
        }
    }

    private func send(_ text: String) {
        guard let session = client.session else { return }
        for room in rooms { linesQueued += session.say(text, to: room, kind: options.notice ? .notice : .message) }
        policy.sent(text, to: rooms)
        client.pump()
    }

    // MARK: Stdin

    /// Stdin is readable: each line is a message to the rooms.
    func handle(_ event: ReadyEvent) {
        guard let session = client.session, client.isConnected else {
            try? loop.setInterest(STDIN_FILENO, [])
            return
        }
        let count: Int
        do {
            guard case .done(let read) = try nonBlockingSyscall("read", {
                stdinBuffer.withUnsafeMutableBytes { Glibc.read(STDIN_FILENO, $0.baseAddress, $0.count) }
            }) else { return }
            count = read
        } catch {
            // Not the end of the input: a failure the run reports (exit 1).
            loop.unwatch(STDIN_FILENO)
            return perform(policy.timedOut("stdin: \(error)"))
        }
        if count == 0 {
            if let last = stdinFramer.finish() { take(last) }
            loop.unwatch(STDIN_FILENO)
            return perform(policy.stdinEnded())
        }
        stdinFramer.feed(stdinBuffer[0..<count]) { take($0) }
        if session.pacedBacklog > backlogLimit {
            // Backpressure: stop reading until the pacer has half caught up.
            try? loop.setInterest(STDIN_FILENO, [])
            client.whenBacklog(atMost: backlogLimit / 2) { [weak self] in
                guard let self, !self.policy.finished else { return }
                try? self.loop.setInterest(STDIN_FILENO, .read)
            }
        }
    }

    private func take(_ frame: LineFramer.Frame) {
        switch frame {
        case .line(let bytes):
            let text = String(decoding: bytes, as: UTF8.self)
            if !text.allSatisfy({ $0 == " " || $0 == "\t" }) { send(text) }
        case .tooLong(let length):
            policy.inputRefused("stdin: a line of \(length) bytes is longer than 16384 and was not sent")
        }
    }

    // MARK: Ending

    /// Fails with "WHAT within N s" unless cancelled first; `what` is asked when
    /// the time is up (it may still be resolving the name, or not).
    private func startTimeout(_ what: @escaping () -> String) {
        cancelTimeout()
        let seconds = options.timeout.components.seconds
        timeoutTimer = loop.schedule(after: options.timeout) { [weak self] in
            guard let self else { return }
            self.timeoutTimer = nil
            self.perform(self.policy.timedOut("\(what()) within \(seconds) s"))
        }
    }

    private func cancelTimeout() {
        if let timeoutTimer { loop.cancel(timeoutTimer) }
        timeoutTimer = nil
    }

    /// QUIT, then wait (briefly) for the server to close the connection — after a
    /// success only: a failure (often a server that does not answer) ends now, the
    /// QUIT written on the way out.
    private func finish(_ status: Int32) {
        exitStatus = status
        cancelTimeout()
        guard client.quit(nil), status == ExitStatus.success else { return loop.stop() }
        // The server's close ends the loop (clientDisconnected → stopNow); this bounds the wait.
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }
}
