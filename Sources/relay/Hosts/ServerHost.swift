import RelayIRC
import RelayLoop
import RelayServer
import RelayStore
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

extension Connection: ClientEndpoint {}

/// Wires the pure chat core to the loop: accepts connections (plain and TLS),
/// feeds their lines to the core, turns the core's deadline into a timer,
/// reloads on SIGHUP and shuts down on SIGINT/SIGTERM. It translates; the rules
/// live in `ChatServer`.
final class ServerHost: ConnectionDelegate, ReadinessHandler, Flushable {
    /// A listening socket, and whether what it accepts speaks TLS.
    struct Port {
        let listener: Listener
        let tls: Bool
    }

    private let loop: EventLoop
    private let ports: [Port]
    /// The certificate new TLS connections get; SIGHUP loads it again.
    private var tls: TLSContext?
    /// Reads the TLS context and the configuration again (SIGHUP): the files,
    /// and with --config the whole file; `restart` names what only a restart applies.
    var reload: (() throws -> (tls: TLSContext?, config: ServerConfig, restart: [String]))?
    let core: ChatServer
    /// `--cluster`: the link to Redis; what the core publishes goes through it.
    var cluster: ClusterLink?
    private let sendQueueLimit: Int
    /// Open connections by descriptor, and how many.
    private var connections = DescriptorTable<Connection?>(empty: nil)
    private var connectionCount = 0
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
    /// Lines one connection hands the core per loop turn; the rest of its read
    /// waits for the next turn (whatever --flood-rate is), so one client's
    /// 64 KiB of tiny commands cannot hold up everyone else's turn.
    static let linesPerTurn = 100

    private let log: OperatorLog
    /// `--data`: room history goes to disk through this, once a turn.
    private let store: StoreWriter?
    private var storeFlushQueued = false
    /// Password hashing and checking, off the loop (accounts need --data).
    private let passwords: BackgroundWork?
    var hashIterations = PasswordHash.defaultIterations

    init(loop: EventLoop, ports: [Port], tls: TLSContext? = nil, config: ServerConfig, sendQueueLimit: Int,
         log: OperatorLog = OperatorLog(), persistence: PersistentHistory? = nil, store: StoreWriter? = nil) {
        self.store = store
        self.passwords = store == nil ? nil : try? BackgroundWork(loop: loop, limit: 32)
        self.loop = loop
        self.ports = ports
        self.tls = tls
        self.sendQueueLimit = sendQueueLimit
        self.log = log
        self.core = ChatServer(config: config, wallClock: { Int64(time(nil)) }, wallClockMillis: {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
        }, persistence: persistence)
        core.log = { log.write($0) }
    }

    func start() throws {
        for port in ports { try loop.watch(port.listener.fd, interest: .read, handler: self) }
        for signo in [SIGINT, SIGTERM] {
            try loop.onSignal(signo) { [unowned self] signo in self.shutdown(signal: signo) }
        }
        try loop.onSignal(SIGHUP) { [unowned self] _ in self.reloadFiles() }
    }

    // MARK: Reloading (SIGHUP)

    /// New TLS connections get the new certificate; connected people keep theirs.
    /// A file that fails to load leaves everything as it was, and says why.
    private func reloadFiles() {
        guard let reload, !shuttingDown else { return }
        do {
            let fresh = try reload()
            if fresh.tls != nil { tls = fresh.tls }
            let restart = fresh.restart + core.reconfigure(fresh.config)
            log.write(ServerLogEvent(.info, "reloaded", [("files", fresh.tls != nil ? "certificate, key, motd, password" : "motd, password")]
                                     + (restart.isEmpty ? [] : [("needs-restart", restart.joined(separator: ","))])))
        } catch {
            log.write(ServerLogEvent(.error, "reload-failed", [("error", "\(error)"), ("action", "kept the previous files")]))
        }
    }

    // MARK: Accepting

    /// Connections accepted per turn at most: the listener stays readable, so the
    /// rest come next turn, after the lines already waiting on accepted ones are
    /// read. An unbounded batch could outlast the one-second "silent, so plain"
    /// rule and take IRC clients whose first line was never read for people.
    private let acceptsPerTurn = 128

    /// A listener is readable: take a batch from its backlog.
    func handle(_ event: ReadyEvent) {
        guard let port = ports.first(where: { $0.listener.fd == event.fd }) else { return }
        let listener = port.listener
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
            admit(fd, tls: port.tls)
        }
        syncCoreTimer()
    }

    private func admit(_ fd: Int32, tls secure: Bool) {
        Socket.configureConnection(fd)
        nextTag += 1
        var stream: TLSStream?
        if secure, let tls {
            do {
                stream = try TLSStream(context: tls, fd: fd, role: .server)
            } catch {
                Diagnostics.say("\(error)")
                closeDescriptor(fd)
                return
            }
        }
        let connection = Connection(fd: fd, tag: nextTag, loop: loop, maxLineLength: Self.maxLineLength,
                                    sendQueueLimit: sendQueueLimit, transport: stream, maxLinesPerTurn: Self.linesPerTurn)
        connection.delegate = self
        do {
            try connection.start()
        } catch {
            Diagnostics.say("\(error)")
            closeDescriptor(fd)
            return
        }
        connections[fd] = connection
        connectionCount += 1
        core.accept(nextTag, endpoint: connection, host: Self.hostName(of: fd), secure: secure,
                    awaitingHandshake: secure, now: .now)
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
        for port in ports { try? loop.setInterest(port.listener.fd, []) }
        loop.schedule(after: acceptBackoff) { [unowned self] in
            acceptPaused = false
            if !shuttingDown { for port in ports { try? loop.setInterest(port.listener.fd, .read) } }
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
        runPasswordJobs()
        if store != nil && !storeFlushQueued {
            // The turn's history changes, written once the turn is over: a burst is one commit.
            storeFlushQueued = true
            loop.flushSoon(self)
        }
    }

    /// The core's password jobs to the worker; each answer goes back to the core on the loop.
    private func runPasswordJobs() {
        guard let passwords else { return }
        for job in core.takePasswordJobs() {
            let iterations = hashIterations
            let accepted = passwords.submit({ () -> PasswordResult in
                switch job.kind {
                case .hash(let password): return .hashed(PasswordHash.make(password, iterations: iterations))
                case .verify(let password, let hash): return .verified(PasswordHash.verify(password, against: hash))
                }
            }) { [unowned self] result in
                core.passwordJobDone(job.id, result, now: .now)
                syncCoreTimer()
                if !storeFlushQueued {
                    storeFlushQueued = true
                    loop.flushSoon(self)
                }
            }
            if !accepted { core.passwordJobDone(job.id, .busy, now: .now) }
        }
    }

    /// The turn's history changes to the writer (a hand-over; the disk is its thread's).
    func flush() {
        storeFlushQueued = false
        guard let store else { return }
        store.submit(core.takeStateChanges())
        for problem in store.takeProblems() { log.write(ServerLogEvent(.warn, "history-not-saved", [("why", problem)])) }
    }

    /// At exit: what is left goes to disk before the process ends.
    func closeStore() {
        flush()
        store?.close()
        for problem in store?.takeProblems() ?? [] { log.write(ServerLogEvent(.warn, "history-not-saved", [("why", problem)])) }
    }

    /// A TLS client finished its handshake: only now may its silence make it a plain user.
    func connectionSecured(_ connection: Connection) {
        core.secured(connection.tag, now: .now, certificateFingerprint: (connection.transport as? TLSStream)?.peerFingerprint)
        syncCoreTimer()
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        if connections[connection.fd] === connection {
            connections[connection.fd] = nil
            connectionCount -= 1
        }
        if let reason {
            core.connectionLost(connection.tag, reason: reason)
            syncCoreTimer()
        }
        if shuttingDown && connectionCount == 0 { loop.stop() }
    }

    // MARK: Time

    /// Makes sure a loop timer fires at the core's next deadline.
    func syncCoreTimer() {
        cluster?.pump()
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
        [SIGINT: "SIGINT", SIGTERM: "SIGTERM"][signo] ?? "signal \(signo)"
    }

    /// The first SIGINT/SIGTERM tells every client and closes within about two
    /// seconds; a second one exits at once.
    private func shutdown(signal signo: Int32) {
        if shuttingDown {
            Diagnostics.say("second signal; exiting now")
            Diagnostics.sink?.flushNow()
            exit(128 + signo)
        }
        shuttingDown = true
        Diagnostics.say("shutting down (\(Self.signalName(signo)))")
        for port in ports { loop.unwatch(port.listener.fd) }
        cluster?.leave(reason: "Server shutting down")
        core.shutdown(reason: "Server shutting down")
        if connectionCount == 0 { return loop.stop() }
        loop.schedule(after: .milliseconds(2500)) { [unowned self] in
            for case let connection? in connections.all { connection.abort() }
            loop.stop()
        }
    }
}
