import RelayClient
import RelayIRC
import RelayLoop
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

/// What a `ClientHost` tells its owner.
protocol ClientHostDelegate: AnyObject {
    func client(_ client: ClientHost, event: ClientEvent)
    /// The connection is gone, or never came up; `reason` says why in one line.
    func clientDisconnected(_ client: ClientHost, reason: String)
    /// Confirmation PINGs (`ClientSession.confirm`) just written to the server:
    /// a wait for their PONG starts now.
    func client(_ client: ClientHost, wroteConfirmations tokens: [String])
}

extension ClientHostDelegate {
    func client(_ client: ClientHost, wroteConfirmations tokens: [String]) {}
}

/// One client connection to one server in the loop: connects (trying each
/// address), speaks TLS when the target asks for it, feeds lines to a
/// `ClientSession`, writes what the session paces out, and runs its keepalive.
/// A new session starts with each connection (once TLS is up); reconnecting is
/// the owner's decision.
final class ClientHost: ConnectionDelegate {
    let target: ClientTarget
    var sessionConfig: SessionConfig
    private(set) var session: ClientSession?
    weak var delegate: ClientHostDelegate?
    /// Prints every line sent and received on stderr, passwords masked.
    var trace = false
    private let loop: EventLoop
    private var connection: Connection?
    private var connecting: OutboundConnect?
    private var sessionTimer: TimerID?
    private var sessionTimerAt: ContinuousClock.Instant?
    private var backoff = Backoff()
    private var reconnectTimer: TimerID?

    /// TLS settings, when the target speaks TLS.
    private let tls: TLSContext?
    /// When the current attempt must be up (TCP and the TLS handshake).
    private var attemptDeadline: ContinuousClock.Instant?
    private var attemptTimeout: Duration = .seconds(30)
    private var handshakeTimer: TimerID?
    private var readingPaused = false
    /// Something IRC-like arrived on this connection: a close before that, on a
    /// plain connection, may be a TLS port refusing what it cannot read.
    private var heardFromServer = false
    /// --insecure is said once per process, not once per reconnect.
    /// (nonisolated(unsafe): only the loop's thread connects.)
    nonisolated(unsafe) private static var warnedInsecure = false

    init(loop: EventLoop, target: ClientTarget, session: SessionConfig, tls: TLSContext? = nil) {
        self.loop = loop
        self.target = target
        self.sessionConfig = session
        self.tls = tls
    }

    /// Open for chat: registered or registering, not closing.
    var isConnected: Bool { connection?.state == .open }
    /// Still waiting for the name to resolve.
    var isResolving: Bool { connecting?.resolver != nil }
    /// Connected, with the TLS handshake not done yet.
    var isHandshaking: Bool { connection.map { !$0.isSecured } ?? false }
    /// A connection exists, possibly still closing (writing its last lines).
    var hasConnection: Bool { connection != nil }

    // MARK: Connecting

    /// Resolves (off the loop) and connects, giving up when the whole attempt
    /// takes longer than `timeout`.
    func connect(timeout: Duration) {
        connecting?.cancel()
        attemptTimeout = timeout
        attemptDeadline = .now + timeout
        let attempt = OutboundConnect(loop: loop, host: target.host, port: target.port, timeout: timeout,
                                      connected: { [unowned self] fd in connected(fd: fd) },
                                      failed: { [unowned self] reason in fail(reason) })
        connecting = attempt
        attempt.start()
    }

    private func connected(fd: Int32) {
        connecting = nil
        Socket.configureConnection(fd)
        var stream: TLSStream?
        if let tls {
            do {
                stream = try TLSStream(context: tls, fd: fd, role: .client(host: target.host))
            } catch {
                closeDescriptor(fd)
                return fail("tls \(target.address): \(error)")
            }
        }
        let connection = Connection(fd: fd, tag: 0, loop: loop, maxLineLength: Message.maxTagsLength + 512,
                                    sendQueueLimit: 1 << 20, transport: stream)
        connection.delegate = self
        self.connection = connection
        do {
            try connection.start()
        } catch {
            self.connection = nil
            connection.delegate = nil
            connection.abort()
            return fail("\(error)")
        }
        if readingPaused { connection.pauseReading() }
        if stream == nil { return startSession() }
        // The handshake counts against the attempt's deadline, like resolving and connecting.
        handshakeTimer = loop.schedule(at: attemptDeadline ?? .now + attemptTimeout) { [weak self] in
            guard let self, let connection = self.connection, !connection.isSecured else { return }
            self.handshakeTimer = nil
            self.connection = nil
            connection.delegate = nil
            connection.abort()
            self.delegate?.clientDisconnected(
                self, reason: "tls \(self.target.address): no handshake within \(self.attemptTimeout.components.seconds) s")
        }
    }

    func connectionSecured(_ connection: Connection) {
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        if let tls, tls.isInsecure, !Self.warnedInsecure, let stream = connection.transport as? TLSStream {
            Self.warnedInsecure = true
            let problem = stream.verificationProblem.map { "it would have failed: \($0)" } ?? "it would have passed"
            Diagnostics.warn("tls \(target.address): --insecure: the server's certificate is not verified (\(problem))")
        }
        if trace, let stream = connection.transport as? TLSStream {
            Diagnostics.write("-- tls \(target.address): \(stream.summary)")
        }
        startSession()
    }

    private func startSession() {
        let session = ClientSession(config: sessionConfig, now: .now)
        self.session = session
        session.start(now: .now)
        pump()
    }

    /// Stops reading from the server (and from the next connection) until
    /// `resumeReading()`: the owner cannot keep up with what it is told.
    func pauseReading() {
        readingPaused = true
        connection?.pauseReading()
    }

    func resumeReading() {
        readingPaused = false
        connection?.resumeReading()
    }

    private func fail(_ reason: String) {
        connecting = nil
        delegate?.clientDisconnected(self, reason: reason)
    }

    // MARK: Lines

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {
        guard case .line(let line) = frame, let session else {
            if case .tooLong(let length) = frame {
                Diagnostics.say("\(target.address) sent a line of \(length) bytes, longer than IRC allows; dropped it")
            }
            return
        }
        if trace { Diagnostics.write("<< " + String(decoding: line, as: UTF8.self)) }
        if !heardFromServer && tls == nil && Self.looksLikeTLS(line) {
            // A TLS record (an alert or a handshake), not IRC.
            connection.abort()
            return
        }
        heardFromServer = true
        for event in session.receive(line, now: .now) {
            if case .registered = event { backoff.reset() }
            delegate?.client(self, event: event)
        }
        pump()
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        self.connection = nil
        if let sessionTimer { loop.cancel(sessionTimer) }
        sessionTimer = nil
        sessionTimerAt = nil
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        if let failure = connection.transportFailure {
            let reason = "tls \(target.address): \(failure.reason)"
            // The server refused our certificate (or the lack of one): no reconnect will change that.
            if failure.isAuthentication {
                delegate?.client(self, event: .failed(.authenticationFailed("the server refused our TLS certificate: \(failure.reason)")))
            }
            delegate?.clientDisconnected(self, reason: reason)
            return
        }
        var said = reason ?? "connection closed"
        if tls == nil && !heardFromServer && !target.plain {
            said += " (if \(target.address) is a TLS port, use ircs://)"
        }
        heardFromServer = false
        delegate?.clientDisconnected(self, reason: said)
    }

    /// The first bytes of a TLS record: content type 21 (alert) or 22 (handshake), version 3.x.
    static func looksLikeTLS(_ line: ArraySlice<UInt8>) -> Bool {
        line.count >= 2 && (line.first == 0x15 || line.first == 0x16) && line[line.startIndex + 1] == 0x03
    }

    /// Backpressure by event, not by polling: `action` runs once, the next
    /// time a connected session's paced backlog is at `level` or below (at once
    /// if it is; while disconnected, once a session is writing again).
    func whenBacklog(atMost level: Int, _ action: @escaping () -> Void) {
        backlogWaiter = (level, action)
        runBacklogWaiter()
    }

    private var backlogWaiter: (level: Int, action: () -> Void)?

    private func runBacklogWaiter() {
        guard let waiter = backlogWaiter, let session, isConnected, session.pacedBacklog <= waiter.level else { return }
        backlogWaiter = nil
        waiter.action()
    }

    /// Writes what the session lets out now and wakes up when it has more.
    func pump() {
        guard let session, let connection, connection.state == .open else { return }
        let now = ContinuousClock.now
        for line in session.takeOutgoing(now: now) {
            if trace { Diagnostics.write(">> " + Self.masked(line)) }
            connection.send(line)
        }
        let written = session.takeWrittenConfirmations()
        if !written.isEmpty { delegate?.client(self, wroteConfirmations: written) }
        if backlogWaiter != nil { runBacklogWaiter() }
        let deadline = session.nextDeadline(now: now)
        if let at = sessionTimerAt, at <= deadline, at > now { return }
        if let sessionTimer { loop.cancel(sessionTimer) }
        sessionTimerAt = deadline
        sessionTimer = loop.schedule(at: deadline) { [weak self] in
            guard let self, let session = self.session else { return }
            self.sessionTimerAt = nil
            self.sessionTimer = nil
            for event in session.tick(now: .now) { self.delegate?.client(self, event: event) }
            self.pump()
        }
    }

    /// Connects again after the next backoff delay (exponential, with jitter; reset
    /// once registered). Returns the delay in whole seconds, for telling people.
    @discardableResult
    func reconnectLater(timeout: Duration) -> Int {
        let delay = backoff.nextDelay(random: Double.random(in: 0..<1))
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        reconnectTimer = loop.schedule(after: delay) { [weak self] in
            self?.reconnectTimer = nil
            self?.connect(timeout: timeout)
        }
        let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) * 1e-18
        return Int(seconds.rounded(.up))
    }

    /// Says QUIT and closes once it is written; false when there was no open
    /// connection to say it on (then there is nothing to wait for).
    @discardableResult
    func quit(_ reason: String?) -> Bool {
        guard let session, isConnected else {
            close()
            return false
        }
        session.quit(reason)
        pump()
        close()
        return true
    }

    /// Closes the connection after what is queued is written, and stops reconnecting.
    func close() {
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        reconnectTimer = nil
        connecting?.cancel()
        connecting = nil
        connection?.close()
    }

    /// "PASS ****", "OPER name ****", "AUTHENTICATE ****" and NickServ's
    /// "IDENTIFY ****" for --trace.
    static func masked(_ line: [UInt8]) -> String {
        var text = String(decoding: line.dropLast(2), as: UTF8.self)
        let upper = text.uppercased()
        if upper.hasPrefix("PASS ") { text = "PASS ****" }
        if upper.hasPrefix("AUTHENTICATE "), !["PLAIN", "EXTERNAL", "+"].contains(upper.dropFirst(13)) { text = "AUTHENTICATE ****" }
        if upper.hasPrefix("PRIVMSG NICKSERV :IDENTIFY ") { text = "PRIVMSG NickServ :IDENTIFY ****" }
        if upper.hasPrefix("OPER "), let space = text.dropFirst(5).firstIndex(of: " ") { text = text[..<space] + " ****" }
        return text
    }
}

extension ClientHost {
    /// Our own joins and parts: the script knows them; a log needs only others'.
    func isAboutMe(_ event: ClientEvent) -> Bool {
        guard let nick = session?.nick else { return false }
        switch event {
        case .join(_, let who), .part(_, let who, _): return Casemapping.equal(who, nick)
        default: return false
        }
    }
}
