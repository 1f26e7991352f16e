import RelayIRC
import RelayLoop
import RelayServer
#if canImport(Glibc)
import Glibc
#endif

extension Connection: ClientEndpoint {}

/// Wires the pure chat core to the loop: accepts connections, feeds their lines
/// to the core, turns the core's deadline into a timer, and shuts down on a signal.
/// It translates; the rules live in `ChatServer`.
final class ServerHost: ConnectionDelegate, ReadinessHandler {
    private let loop: EventLoop
    private let listener: Listener
    private let core: ChatServer
    private let sendQueueLimit: Int
    private var connections: [Int: Connection] = [:]
    private var nextTag = 0
    private var coreTimer: (id: TimerID, at: ContinuousClock.Instant)?
    private var shuttingDown = false
    /// How long accepting pauses when the process runs out of descriptors.
    private let acceptBackoff: Duration = .milliseconds(100)
    private var acceptPaused = false
    /// Said once per spell of exhaustion, not every 100 ms.
    private var exhaustionReported = false
    /// Tags (over 8191 bytes) plus a 510-byte message: anything longer is cut by the framer.
    static let maxLineLength = Message.maxTagsLength + Message.maxLength

    private let log: OperatorLog

    init(loop: EventLoop, listener: Listener, config: ServerConfig, sendQueueLimit: Int, log: OperatorLog = OperatorLog()) {
        self.loop = loop
        self.listener = listener
        self.sendQueueLimit = sendQueueLimit
        self.log = log
        self.core = ChatServer(config: config, wallClock: { Int64(time(nil)) })
        core.log = { log.write($0) }
    }

    func start() throws {
        try loop.watch(listener.fd, interest: .read, handler: self)
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            try loop.onSignal(signo) { [unowned self] signo in self.shutdown(signal: signo) }
        }
    }

    // MARK: Accepting

    /// Connections accepted per turn at most: the listener stays readable, so the
    /// rest come next turn, after the lines already waiting on accepted ones are
    /// read. An unbounded batch could outlast the one-second "silent, so plain"
    /// rule and take IRC clients whose first line was never read for people.
    private let acceptsPerTurn = 128

    /// The listener is readable: take a batch from the backlog.
    func handle(_ event: ReadyEvent) {
        var accepted = 0
        while !shuttingDown && accepted < acceptsPerTurn {
            accepted += 1
            let fd: Int32
            do {
                guard case .done(let accepted) = try listener.accept() else { break }
                fd = accepted
            } catch let error as SystemError where error.isDescriptorExhaustion {
                pauseAccepting(error)
                break
            } catch let error as SystemError where error.isAbortedConnection {
                continue
            } catch {
                Diagnostics.say("\(error)")
                break
            }
            exhaustionReported = false
            admit(fd)
        }
        syncCoreTimer()
    }

    private func admit(_ fd: Int32) {
        Socket.configureConnection(fd)
        nextTag += 1
        let connection = Connection(fd: fd, tag: nextTag, loop: loop,
                                    maxLineLength: Self.maxLineLength, sendQueueLimit: sendQueueLimit)
        connection.delegate = self
        do {
            try connection.start()
        } catch {
            Diagnostics.say("\(error)")
            closeDescriptor(fd)
            return
        }
        connections[nextTag] = connection
        core.accept(nextTag, endpoint: connection, host: Self.hostName(of: fd), now: .now)
    }

    /// Out of descriptors: stop listening for a moment instead of spinning on a
    /// listener that stays readable.
    private func pauseAccepting(_ error: SystemError) {
        guard !acceptPaused else { return }
        acceptPaused = true
        if !exhaustionReported {
            exhaustionReported = true
            log.write(ServerLogEvent(.warn, "descriptors-exhausted", [("error", "\(error)"),
                                                                     ("action", "pausing accepts for \(acceptBackoff) at a time until descriptors free up")]))
        }
        try? loop.setInterest(listener.fd, [])
        loop.schedule(after: acceptBackoff) { [unowned self] in
            acceptPaused = false
            if !shuttingDown { try? loop.setInterest(listener.fd, .read) }
        }
    }

    /// The peer's numeric address, made safe as an IRC host ("::1" would read as a ":" parameter).
    static func hostName(of fd: Int32) -> String {
        let host = Socket.peerAddress(fd)?.host ?? "unknown"
        return host.hasPrefix(":") ? "0" + host : host
    }

    // MARK: Connections

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {
        switch frame {
        case .line(let line):
            core.receive(connection.tag, line: line, now: .now)
        case .tooLong(let length):
            core.receiveTooLong(connection.tag, length: length, now: .now)
        }
        syncCoreTimer()
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        connections[connection.tag] = nil
        if let reason {
            core.connectionLost(connection.tag, reason: reason)
            syncCoreTimer()
        }
        if shuttingDown && connections.isEmpty { loop.stop() }
    }

    // MARK: Time

    /// Makes sure a loop timer fires at the core's next deadline.
    private func syncCoreTimer() {
        guard let deadline = core.nextDeadline else { return }
        if let coreTimer, coreTimer.at <= deadline { return }
        if let coreTimer { loop.cancel(coreTimer.id) }
        let id = loop.schedule(at: deadline) { [unowned self] in
            coreTimer = nil
            core.tick(now: .now)
            syncCoreTimer()
        }
        coreTimer = (id, deadline)
    }

    // MARK: Shutdown

    static func signalName(_ signo: Int32) -> String {
        [SIGINT: "SIGINT", SIGTERM: "SIGTERM", SIGHUP: "SIGHUP"][signo] ?? "signal \(signo)"
    }

    /// The first SIGINT/SIGTERM tells every client and closes within about two
    /// seconds; a second one exits at once.
    private func shutdown(signal signo: Int32) {
        if shuttingDown {
            Diagnostics.say("second signal; exiting now")
            exit(128 + signo)
        }
        shuttingDown = true
        Diagnostics.say("shutting down (\(Self.signalName(signo)))")
        loop.unwatch(listener.fd)
        core.shutdown(reason: "Server shutting down")
        if connections.isEmpty { return loop.stop() }
        loop.schedule(after: .milliseconds(2500)) { [unowned self] in
            for connection in connections.values { connection.abort() }
            loop.stop()
        }
    }
}
