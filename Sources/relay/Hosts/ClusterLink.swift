import DequeModule
import RelayClient
import RelayLoop
import RelayServer
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

/// `serve --cluster`: this node's link to Redis, one more source on the loop.
///
/// One connection speaks RESP3 (`HELLO 3`), so pub/sub deliveries arrive as
/// pushes beside the replies to what it publishes: no second connection.
/// Commands are pipelined (written at the turn's flush, never waited for);
/// each reply is matched to what asked in order. Rooms are sharded channels
/// (`SSUBSCRIBE`/`SPUBLISH`, Redis 7) when Redis has them, else plain ones.
///
/// It translates: what is published, to whom the link's loss is told and how
/// nodes are trusted are the core's (`ChatServer+Cluster`). It decides only
/// when to reconnect (backoff, 0.5 s to 10 s) and that a Redis which stops
/// answering (not even our own heartbeat comes back) is gone.
final class ClusterLink: ConnectionDelegate {
    private let loop: EventLoop
    private let url: RedisURL
    private let password: String?
    private let tls: TLSContext?
    private let core: ChatServer
    private let log: OperatorLog
    /// Runs after the core was called (the host arms its timer and publishes through `pump`).
    var afterCore: () -> Void = {}

    private var connection: Connection?
    private var connecting: OutboundConnect?
    private var parser = RESPParser()
    private enum Awaited { case hello, select, published, history(String) }
    /// What each reply still to come answers, in the order asked.
    private var awaited = Deque<Awaited>()
    /// The handshake is done: the core is linked.
    private var linked = false
    private var everLinked = false
    /// Said once per outage, not once per attempt (again if the reason changes).
    private var outageReported = false
    private var lastReason: String?
    private var sharded = true
    private var backoff = Backoff(initial: .milliseconds(500), maximum: .seconds(10))
    private var reconnectTimer: TimerID?
    private var beatTimer: TimerID?
    private var lastHeard = ContinuousClock.now
    private var stopped = false
    /// A connection whose HELLO is not answered in this time is given up: a
    /// TLS port spoken to in plain, or plain Redis in TLS, may just wait.
    private let handshakeTimeout: Duration = .seconds(10)
    private var handshakeTimer: TimerID?

    init(loop: EventLoop, url: RedisURL, password: String?, tls: TLSContext?, core: ChatServer, log: OperatorLog) {
        self.loop = loop
        self.url = url
        self.password = password ?? url.password
        self.tls = tls
        self.core = core
        self.log = log
    }

    func start() {
        say(.info, "cluster-node", [("node", core.clusterNodeID ?? "?"), ("redis", url.description)])
        connect()
        scheduleBeat()
    }

    /// The node is stopping: the other nodes are told (their users' view of
    /// ours ends at once), then the link closes.
    func leave(reason: String) {
        guard !stopped else { return }
        if linked {
            core.clusterLeave(reason: reason)
            pump()
            connection?.flush()
        }
        stopped = true
        if let beatTimer { loop.cancel(beatTimer) }
        if let reconnectTimer { loop.cancel(reconnectTimer) }
        connecting?.cancel()
        connection?.close()
    }

    // MARK: Connecting

    private func connect() {
        reconnectTimer = nil
        guard !stopped else { return }
        connecting = OutboundConnect(loop: loop, host: url.host, port: url.port, timeout: .seconds(10),
                                     connected: { [unowned self] fd in connected(fd) },
                                     failed: { [unowned self] reason in lost(reason) })
        connecting?.start()
    }

    private func connected(_ fd: Int32) {
        connecting = nil
        Socket.configureConnection(fd)
        var stream: TLSStream?
        if url.tls, let tls {
            do {
                stream = try TLSStream(context: tls, fd: fd, role: .client(host: url.host))
            } catch {
                closeDescriptor(fd)
                return lost("\(error)")
            }
        }
        // Room events for a whole node may wait here while Redis is slow: 64 MiB, then the link is made again.
        let connection = Connection(fd: fd, tag: -1, loop: loop, maxLineLength: 1, sendQueueLimit: 64 << 20,
                                    transport: stream, framed: false)
        connection.delegate = self
        do {
            try connection.start()
        } catch {
            connection.delegate = nil
            connection.abort()
            return lost("\(error)")
        }
        self.connection = connection
        lastHeard = .now
        handshakeTimer = loop.schedule(after: handshakeTimeout) { [weak self, weak connection] in
            guard let self, let connection, self.connection === connection, !self.linked else { return }
            self.handshakeTimer = nil
            self.lost("no answer to HELLO within \(self.handshakeTimeout.components.seconds) s"
                      + (self.url.tls ? " (is that port TLS?)" : " (a TLS port? then rediss://)"))
        }
        // HELLO first: the rest depends on its answer (the version).
        var hello = ["HELLO", "3"]
        if let password { hello += ["AUTH", url.username ?? "default", password] }
        hello += ["SETNAME", "relay-" + (core.clusterNodeID ?? "node")]
        send(hello, awaiting: .hello)
    }

    private func send(_ words: [String], awaiting: Awaited?) {
        send(words.map { Array($0.utf8) }, awaiting: awaiting)
    }

    private func send(_ words: [[UInt8]], awaiting: Awaited?) {
        connection?.send(RESP.command(words))
        if let awaiting { self.awaited.append(awaiting) }
    }

    /// HELLO answered: select the database, listen, and tell the cluster.
    private func handshakeDone(_ reply: RESPValue) {
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        if let pairs = reply.elements, let index = pairs.firstIndex(of: .bulk(Array("version".utf8))) ?? pairs.firstIndex(of: .simple("version")),
           index + 1 < pairs.count, let version = pairs[index + 1].text {
            sharded = (Int(version.prefix { $0 != "." }) ?? 7) >= 7
        }
        if url.database != 0 { send(["SELECT", String(url.database)], awaiting: .select) }
        send(["SUBSCRIBE", ClusterEvent.channel(.control), ClusterEvent.channel(.node(core.clusterNodeID ?? ""))], awaiting: nil)
        _ = core.takeClusterSubscriptions()
        for room in core.clusterRooms { listen(room, true) }
        linked = true
        lastReason = nil
        backoff.reset()
        if outageReported || everLinked {
            say(.info, "cluster-link-up", [("redis", url.description)])
        }
        outageReported = false
        core.clusterLinkUp(wasLost: everLinked)
        everLinked = true
        afterCore()
    }

    private func listen(_ room: String, _ on: Bool) {
        let channel = Array(ClusterEvent.channel(.room(room)).utf8)
        let command = sharded ? (on ? "SSUBSCRIBE" : "SUNSUBSCRIBE") : (on ? "SUBSCRIBE" : "UNSUBSCRIBE")
        send([Array(command.utf8), channel], awaiting: nil)
    }

    /// The link failed or never came up: the core is told (once), and it is tried again.
    private func lost(_ reason: String) {
        connecting = nil
        if let handshakeTimer { loop.cancel(handshakeTimer) }
        handshakeTimer = nil
        if let connection {
            connection.delegate = nil
            connection.abort()
            self.connection = nil
        }
        parser = RESPParser()
        awaited.removeAll()
        if linked {
            linked = false
            say(.warn, "cluster-link-lost", [("redis", url.description), ("reason", reason), ("action", "serving local users; reconnecting")])
            core.clusterLinkDown(reason: "Redis: \(reason)")
            afterCore()
        } else if !outageReported {
            say(.warn, "cluster-link-failed", [("redis", url.description), ("reason", reason), ("action", "serving local users; retrying")])
            lastReason = reason
        }
        outageReported = true
        guard !stopped, reconnectTimer == nil else { return }
        let delay = backoff.nextDelay(random: Double.random(in: 0..<1))
        reconnectTimer = loop.schedule(after: delay) { [unowned self] in connect() }
    }

    // MARK: Publishing

    /// What the core queued: subscriptions first (a room joined now hears what is said next), then events.
    func pump() {
        let changes = core.takeClusterSubscriptions()
        let history = core.takeClusterHistoryWork()
        let events = core.takeClusterEvents()
        guard linked else { return }
        for room in changes.listen { listen(room, true) }
        for room in changes.stop { listen(room, false) }
        // Each room's last lines, in a list trimmed to what a room keeps.
        for room in history.fetch {
            send(["LRANGE", Self.historyKey(room), "-\(history.keep)", "-1"], awaiting: .history(room))
        }
        for (room, line) in history.store {
            send([Array("RPUSH".utf8), Array(Self.historyKey(room).utf8), line], awaiting: .published)
            send(["LTRIM", Self.historyKey(room), "-\(history.keep)", "-1"], awaiting: .published)
        }
        for event in events {
            let command: String
            if case .room = event.route, sharded { command = "SPUBLISH" } else { command = "PUBLISH" }
            send([Array(command.utf8), Array(ClusterEvent.channel(event.route).utf8), event.line], awaiting: .published)
        }
    }

    static func historyKey(_ room: String) -> String { "relay:history:" + room }

    // MARK: Heartbeat

    private func scheduleBeat() {
        guard let interval = core.clusterBeatInterval, !stopped else { return }
        beatTimer = loop.schedule(after: interval) { [unowned self] in
            beatTimer = nil
            beat()
            scheduleBeat()
        }
    }

    private func beat() {
        let now = ContinuousClock.now
        if linked, let interval = core.clusterBeatInterval, now - lastHeard > interval * 3 {
            // Our own beats come back on the control channel: silence means Redis is gone.
            return lost("no answer for \((now - lastHeard).components.seconds) s")
        }
        core.clusterHeartbeat(now: now)
        afterCore()
    }

    // MARK: Connection

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {}

    func connection(_ connection: Connection, receivedBytes bytes: ArraySlice<UInt8>) {
        parser.feed(bytes)
        lastHeard = .now
        do {
            while self.connection === connection, let value = try parser.next() { handle(value) }
        } catch {
            lost("\(error)")
        }
    }

    private func handle(_ value: RESPValue) {
        if case .push(let items) = value {
            // A delivery is ["message" or "smessage", channel, payload]; told apart by bytes, no String made.
            guard linked, items.count >= 3, case .bulk(let kind?) = items[0], kind.elementsEqual("message".utf8) || kind.elementsEqual("smessage".utf8),
                  case .bulk(let payload?) = items[2] else { return }
            core.clusterReceive(payload[...], now: .now)
            return afterCore()
        }
        guard let what = awaited.popFirst() else { return lost("Redis sent a reply nobody asked for") }
        switch (what, value) {
        case (.hello, .error(let text)):
            var why = text
            if text.hasPrefix("NOPROTO") || text.hasPrefix("ERR unknown command") { why = "Redis 6 or later is needed (HELLO 3): \(text)" }
            if text.hasPrefix("NOAUTH") { why = "Redis wants a password (--cluster-password-file): \(text)" }
            if text.hasPrefix("WRONGPASS") { why = "Redis refused the password (--cluster-password-file): \(text)" }
            if lastReason != why { say(.error, "cluster-refused", [("redis", url.description), ("reason", why), ("action", "serving local users; retrying")]) }
            lastReason = why
            outageReported = true
            lost(why)
        case (.hello, _):
            handshakeDone(value)
        case (.history(let room), _):
            let lines = (value.elements ?? []).compactMap(\.bytes)
            core.clusterHistory(of: room, lines: lines)
            afterCore()
        case (.select, .error(let text)), (.published, .error(let text)):
            say(.warn, "cluster-error", [("redis", url.description), ("reply", text)])
        default:
            break
        }
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        guard self.connection === connection else { return }
        self.connection = nil
        if stopped { return }
        var why = reason ?? "closed"
        // Closed before HELLO was answered: most often TLS on one side only.
        if !linked && !awaited.isEmpty { why += url.tls ? " before answering HELLO (is that port TLS?)" : " before answering HELLO (a TLS port? then rediss://)" }
        lost(why)
    }

    private func say(_ level: ServerLogEvent.Level, _ what: String, _ fields: [(String, String)]) {
        log.write(ServerLogEvent(level, what, fields))
    }
}
