import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay bridge`: one connection per network, all on this loop. What is said in
/// a bridged room is said in the other rooms of its group, through a bounded
/// outbox per network that also holds lines while that network is down. Every
/// decision — routing, format, loops, bounds, rejoins, the exit status — is in
/// RelayClient (BridgeRouter, BridgeOutbox, RejoinPolicy, BridgeHealth); this
/// wires connections to them.
final class BridgeRunner: ClientHostDelegate {
    private let loop: EventLoop
    private let networks: [ClientHost]
    private let router: BridgeRouter
    private let timeout: Duration
    private var outboxes: [BridgeOutbox]
    private var rejoins: RejoinPolicy
    private var health: BridgeHealth
    private var drainTimer: TimerID?
    /// Lines handed to a session's pacer at most; the rest wait in the outbox, where the bound applies.
    private let pacerWindow = 3
    private var stopping = false
    private var exitStatus = ExitStatus.success

    init(loop: EventLoop, networks: [ClientHost], router: BridgeRouter, timeout: Duration,
         backlog: Int, backlogAge: Duration, rejoinDelay: Duration) {
        self.loop = loop
        self.networks = networks
        self.router = router
        self.timeout = timeout
        self.outboxes = Array(repeating: BridgeOutbox(limit: backlog, maxAge: backlogAge), count: networks.count)
        self.rejoins = RejoinPolicy(delay: rejoinDelay)
        self.health = BridgeHealth(networks: networks.count)
    }

    func run() throws -> Int32 {
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            try loop.onSignal(signo) { [unowned self] _ in stop(status: exitStatus) }
        }
        try loop.onSignal(SIGUSR1) { [unowned self] _ in printStats() }
        for client in networks {
            client.delegate = self
            client.connect(timeout: timeout)
        }
        loop.schedule(after: timeout) { [weak self] in
            guard let self, self.health.startFailed, !self.stopping else { return }
            Diagnostics.say("bridge: no network could be reached within \(self.timeout.components.seconds) s")
            self.stop(status: ExitStatus.failure)
        }
        try loop.run()
        return exitStatus
    }

    private func index(of client: ClientHost) -> Int {
        networks.firstIndex { $0 === client }!
    }

    private func label(_ network: Int) -> String { router.networkLabels[network] }

    // MARK: Events

    func client(_ client: ClientHost, event: ClientEvent) {
        let network = index(of: client)
        guard let session = client.session else { return }
        switch event {
        case .registered(let nick):
            health.registered(network)
            Diagnostics.say("bridge: \(label(network)): connected as \(nick)")
        case .joined(let room):
            Diagnostics.say("bridge: \(label(network)): joined \(room)")
            drain(network)
        case .kick(let room, let nick, let by, let reason) where Casemapping.equal(nick, session.nick):
            guard let at = rejoins.kicked(network: network, room: room, now: .now) else {
                Diagnostics.say("bridge: \(label(network)): kicked from \(room) by \(by) (\(reason)) too often; not rejoining")
                break
            }
            let seconds = Int((at - .now).components.seconds)
            Diagnostics.say("bridge: \(label(network)): kicked from \(room) by \(by) (\(reason)); rejoining in \(seconds) s")
            loop.schedule(at: at) { [weak self, weak client] in
                guard let self, let client, let session = client.session, client.isConnected else { return }
                session.join(room, key: client.sessionConfig.roomKeys[Casemapping.fold(room)])
                client.pump()
                _ = self
            }
        case .refused(let code, let subject, let text):
            Diagnostics.say("bridge: \(label(network)): \(subject.map { "\($0): " } ?? "")\(code) \(text)")
        case .nickInUse(let taken, let next):
            Diagnostics.say("bridge: \(label(network)): \(taken) is taken; trying \(next)")
        case .failed(let failure):
            Diagnostics.say("bridge: \(label(network)): \(failure)")
            if failure.isRefusal {
                Diagnostics.say("bridge: \(label(network)): refused; leaving this network alone, the others go on")
                if let status = health.refused(network) { return stop(status: status) }
            }
            client.close()
        default:
            break
        }
        let deliveries = router.route(event, network: network, ownNick: session.nick) { [networks] target, room, kind in
            networks[target].session?.textBudget(to: room, kind: kind) ?? 400
        }
        for delivery in deliveries { outboxes[delivery.network].push(delivery, now: .now) }
        for target in Set(deliveries.map(\.network)) { drain(target) }
        client.pump()
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if stopping {
            if networks.allSatisfy({ !$0.hasConnection }) { loop.stop() }
            return
        }
        let network = index(of: client)
        if health.isRefused(network) { return }
        let seconds = client.reconnectLater(timeout: timeout)
        Diagnostics.say("bridge: \(label(network)): lost (\(reason)); reconnecting in \(seconds) s")
    }

    // MARK: Sending

    /// Hands waiting lines to the network's pacer while it is in the rooms, a few at
    /// a time; tells each room how many lines fell off the bounds.
    private func drain(_ network: Int) {
        let client = networks[network]
        guard let session = client.session, client.isConnected, session.isRegistered else { return }
        for (room, count) in outboxes[network].takeDropped() where session.rooms.contains(where: { Casemapping.equal($0, room) }) {
            let text = "\(BridgeRouter.marker)[bridge] \(count) line\(count == 1 ? " was" : "s were") not relayed here "
                + "(the backlog of \(outboxes[network].limit) lines or \(outboxes[network].maxAge.components.seconds / 60) min ran over)"
            session.say(text, to: room, kind: .notice)
            Diagnostics.say("bridge: \(label(network)): \(room): dropped \(count) line(s)")
        }
        let joined = { (room: String) in session.rooms.contains { Casemapping.equal($0, room) } }
        while session.pacedBacklog < pacerWindow, let delivery = outboxes[network].pop(now: .now, ready: joined) {
            session.say(delivery.text, to: delivery.room, kind: delivery.kind)
        }
        client.pump()
        scheduleDrain()
    }

    /// While any outbox holds lines, look again shortly (the pacer frees a slot per token).
    private func scheduleDrain() {
        let sendable = networks.indices.contains { network in
            !outboxes[network].isEmpty && networks[network].isConnected && networks[network].session?.isRegistered == true
        }
        guard drainTimer == nil, sendable else { return }
        drainTimer = loop.schedule(after: .milliseconds(100)) { [weak self] in
            guard let self else { return }
            self.drainTimer = nil
            for network in self.networks.indices { self.drain(network) }
            self.scheduleDrain()
        }
    }

    // MARK: Operations

    private func printStats() {
        for group in router.groups {
            for endpoint in group {
                let relayed = router.relayed[endpoint, default: 0]
                let waiting = outboxes[endpoint.network].waiting(for: endpoint.room)
                Diagnostics.say("bridge: \(label(endpoint.network))/\(endpoint.room): relayed \(relayed), waiting \(waiting)")
            }
        }
        for network in networks.indices {
            Diagnostics.say("bridge: \(label(network)): dropped \(outboxes[network].droppedTotal) in all")
        }
    }

    private func stop(status: Int32) {
        if stopping { return loop.stop() }
        stopping = true
        exitStatus = status
        for client in networks { client.quit("bridge stopping") }
        if networks.allSatisfy({ !$0.hasConnection }) { return loop.stop() }
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }
}
