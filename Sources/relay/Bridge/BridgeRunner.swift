import RelayClient
import RelayHTTP
import RelayIRC
import RelayLoop
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

/// `relay bridge`: one connection per network, all on this loop. What is said in
/// a bridged room is said in the other rooms of its group, through a bounded
/// outbox per network that also holds lines while that network is down. Every
/// decision — routing, format, loops, bounds, rejoins, reloads, the exit status —
/// is in RelayClient (BridgeRouter, BridgeOutbox, RejoinPolicy, BridgeHealth,
/// BridgeSetup); this wires connections to them.
final class BridgeRunner: ClientHostDelegate {
    struct Settings {
        var options = BridgeOptions()
        var timeout: Duration = .seconds(30)
        var backlog = 1000
        var backlogAge: Duration = .seconds(600)
        var rejoinDelay: Duration = .seconds(10)
        var stats: Duration?
        var trace = false
        /// The webhook listener (`--http`), and what its requests mean.
        var http: WebhookServer.Settings?
        var webhooks: Webhooks?
        /// Reads the setup again (SIGHUP); nil when it came from the command line.
        var reload: (() throws -> BridgeSetup)?
    }

    /// A network's connection and its outbox, at a stable index (nil once removed).
    private struct Network {
        var spec: BridgeNetwork
        var client: ClientHost
        var outbox: BridgeOutbox
        /// Handed to the session, not yet known to have reached the server.
        var inFlight = BridgeInFlight()
    }

    private let loop: EventLoop
    private let settings: Settings
    private var setup: BridgeSetup
    private var networks: [Network?] = []
    private var router: BridgeRouter
    private var rejoins: RejoinPolicy
    private var health = BridgeHealth()
    /// Per network: a look at its unreported drops, a second on.
    private var reportTimers: [Int: TimerID] = [:]
    /// Since when each network has dropped lines its rooms were not told about yet.
    /// Lines handed to a session's pacer at most; the rest wait in the outbox, where the bounds apply.
    private let pacerWindow = 3
    private var stopping = false
    private var exitStatus = ExitStatus.success
    private var webhookServer: WebhookServer?
    /// `?wait=1` requests: lines not confirmed yet, by request id; and the
    /// confirmation PINGs that stand for their lines, by network and token
    /// (every session counts its tokens from 1).
    private var tickets: [Int: (room: String, lines: Int, networks: Int, unconfirmed: Int)] = [:]
    private var ticketTokens: [TicketToken: Int] = [:]
    private struct TicketToken: Hashable {
        let network: Int
        let token: String
    }

    init(loop: EventLoop, setup: BridgeSetup, settings: Settings) {
        self.loop = loop
        self.settings = settings
        self.setup = setup
        self.rejoins = RejoinPolicy(delay: settings.rejoinDelay)
        self.router = BridgeRouter(groups: [BridgeGroup](), networkLabels: [], options: settings.options)
    }

    func run() throws -> Int32 {
        for signo in [SIGINT, SIGTERM] {
            try loop.onSignal(signo) { [unowned self] _ in stop(status: exitStatus) }
        }
        try loop.onSignal(SIGHUP) { [unowned self] _ in
            if settings.reload == nil { return stop(status: exitStatus) }
            reload()
        }
        try loop.onSignal(SIGUSR1) { [unowned self] _ in printStats() }
        if let every = settings.stats { scheduleStats(every) }
        if let http = settings.http, let webhooks = settings.webhooks {
            let server = try WebhookServer(settings: http, loop: loop) { [unowned self] id, request in
                webhookRequest(id, request, webhooks)
            }
            webhookServer = server
            Diagnostics.info("http: listening on \(server.url) (POST /send/ROOM)")
        }
        for spec in setup.networks { networks.append(Network(spec: spec, client: try makeClient(spec), outbox: newOutbox())) }
        router = makeRouter(for: setup, counters: [:])
        for (index, network) in networks.enumerated() {
            network?.client.sessionConfig.rooms = router.rooms(on: index)
            network?.client.connect(timeout: settings.timeout)
        }
        loop.schedule(after: settings.timeout) { [weak self] in
            guard let self, self.health.startFailed, !self.stopping else { return }
            Diagnostics.say("bridge: no network could be reached within \(self.settings.timeout.components.seconds) s")
            self.stop(status: ExitStatus.failure)
        }
        try loop.run()
        return exitStatus
    }

    private func newOutbox() -> BridgeOutbox { BridgeOutbox(limit: settings.backlog, maxAge: settings.backlogAge) }

    /// A client for `spec`; throws when its TLS files do not load.
    private func makeClient(_ spec: BridgeNetwork) throws -> ClientHost {
        var config = SessionConfig(nick: spec.nick)
        config.roomKeys = spec.keys
        config.password = spec.password  // sent to this network only
        config.sasl = spec.sasl
        config.pacingRate = spec.rate
        config.relayMessages = true  // draft/relaymsg where offered: relayed lines show their speakers
        config.plainRoom = spec.plainRoom
        config.plainSpeaker = spec.label
        let tls = try spec.tls.map {
            try TLSContext.client(caFile: $0.caFile, insecure: $0.insecure, certificate: $0.clientCert, key: $0.clientKey)
        }
        var target = ClientTarget(host: spec.host, port: spec.port, tls: tls != nil)
        target.plain = spec.plainRoom != nil
        let client = ClientHost(loop: loop, target: target, session: config, tls: tls)
        client.trace = settings.trace
        client.delegate = self
        return client
    }

    /// The router for `setup`, its members' network positions mapped to our stable indices.
    private func makeRouter(for setup: BridgeSetup, counters: [String: Int]) -> BridgeRouter {
        let stable = setup.networks.map { spec in networks.firstIndex { $0?.spec.name == spec.name } ?? -1 }
        let groups = setup.groups.map { group in
            BridgeGroup(name: group.name, members: group.members.map {
                BridgeEndpoint(network: stable[$0.network], room: $0.room, receiveOnly: $0.receiveOnly)
            }, format: group.format)
        }
        let router = BridgeRouter(groups: groups, networkLabels: networks.map { $0?.spec.label ?? "" }, options: settings.options)
        router.relayed = counters
        return router
    }

    private func index(of client: ClientHost) -> Int? {
        networks.firstIndex { $0?.client === client }
    }

    private var live: [Int] { networks.indices.filter { networks[$0] != nil } }

    private func label(_ network: Int) -> String { networks[network]?.spec.label ?? "?" }

    // MARK: Events

    func client(_ client: ClientHost, event: ClientEvent) {
        guard let network = index(of: client), let session = client.session else { return }
        switch event {
        case .registered(let nick):
            health.registered(network)
            Diagnostics.info("bridge: \(label(network)): connected as \(nick)")
        case .joined(let room):
            Diagnostics.info("bridge: \(label(network)): joined \(room)")
            drain(network)
        case .kick(let room, let nick, let by, let reason) where Casemapping.equal(nick, session.nick):
            guard let at = rejoins.kicked(network: network, room: room, now: .now) else {
                Diagnostics.say("bridge: \(label(network)): kicked from \(room) by \(by) (\(reason)) too often; not rejoining")
                break
            }
            let seconds = Int((at - .now).components.seconds)
            Diagnostics.warn("bridge: \(label(network)): kicked from \(room) by \(by) (\(reason)); rejoining in \(seconds) s")
            loop.schedule(at: at) { [weak client] in
                guard let client, let session = client.session, client.isConnected else { return }
                Diagnostics.info("bridge: rejoining \(room)")
                session.join(room, key: client.sessionConfig.roomKeys[Casemapping.fold(room)])
                client.pump()
            }
        case .confirmed(let token):
            if let ticket = ticketTokens.removeValue(forKey: TicketToken(network: network, token: token)) { ticketConfirmed(ticket) }
        case .echo(let line):
            networks[network]?.inFlight.echoed(room: line.room ?? line.nick, text: line.text)
        case .refused(let code, let subject, let text):
            if let room = subject, code == "403" || code == "404" { networks[network]?.inFlight.refused(room: room) }
            if code.hasPrefix("RELAYMSG ") {
                // Refused as its speaker's: sent again as the bridge's, attribution in the text.
                let room = subject.flatMap { Names.isChannel($0) ? $0 : nil }
                let again = networks[network]?.inFlight.relayRefused(room: room) ?? []
                networks[network]?.outbox.pushFront(again, now: .now)
                if !again.isEmpty { loop.schedule(after: .zero) { [weak self] in self?.drain(network) } }
            }
            Diagnostics.warn("bridge: \(label(network)): \(subject.map { "\($0): " } ?? "")\(code) \(text)")
        case .nickInUse(let taken, let next):
            Diagnostics.warn("bridge: \(label(network)): \(taken) is taken; trying \(next)")
        case .warning(let text):
            Diagnostics.warn("bridge: \(label(network)): \(text)")
        case .failed(let failure):
            Diagnostics.log(failure.isRefusal ? .error : .warn, "bridge: \(label(network)): \(failure)")
            if failure.isRefusal {
                Diagnostics.say("bridge: \(label(network)): refused; leaving this network alone, the others go on")
                if let status = health.refused(network, live: live) { return stop(status: status) }
            }
            client.close()
        default:
            break
        }
        let deliveries = router.route(event, network: network, ownNick: session.nick) { [networks] target, room, kind in
            networks[target]?.client.session?.textBudget(to: room, kind: kind) ?? 400
        }
        for delivery in deliveries { networks[delivery.network]?.outbox.push(delivery, now: .now) }
        for target in Set(deliveries.map(\.network)) { drain(target) }
        client.pump()
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if stopping {
            if networks.allSatisfy({ $0?.client.hasConnection != true }) { loop.stop() }
            return
        }
        guard let network = index(of: client), !health.isRefused(network) else { return }
        // Their PONGs will never come; the lines go again (below) and are confirmed anew.
        ticketTokens = ticketTokens.filter { $0.key.network != network }
        // What the server may not have: sent again once the network is back.
        let echoes = client.session?.capabilities.contains("echo-message") ?? false
        let again = networks[network]?.inFlight.takeUnsettled(echoes: echoes, unwritten: client.session?.unsentMessageCount ?? 0) ?? []
        if !again.isEmpty {
            networks[network]?.outbox.pushFront(again, now: .now)
            Diagnostics.warn("bridge: \(label(network)): \(again.count) line(s) not \(echoes ? "confirmed by" : "written to") the server; "
                             + "sending them again after reconnecting")
        }
        let seconds = client.reconnectLater(timeout: settings.timeout)
        if health.wasReached(network) {
            Diagnostics.warn("bridge: \(label(network)): lost (\(reason)); reconnecting in \(seconds) s")
        } else {
            Diagnostics.warn("bridge: \(label(network)): not reached (\(reason)); trying again in \(seconds) s")
        }
    }

    // MARK: Sending

    /// Hands waiting lines to the network's pacer while it is in their rooms, a few
    /// at a time; then tells each room how many lines fell off the bounds — once
    /// the backlog is through and nothing fell off for a second, or once a minute
    /// while that never happens (a notice per dropped line would flood the room).
    private func drain(_ network: Int) {
        // The outbox is mutated in place (networks[network]?.outbox...): a copy would copy its lines.
        guard let client = networks[network]?.client, let session = client.session, client.isConnected,
              session.isRegistered else { return }
        let joined = { (room: String) in session.rooms.contains { Casemapping.equal($0, room) } }
        if !session.capabilities.contains("echo-message") {
            networks[network]?.inFlight.keep(unwritten: session.unsentMessageCount)
        }
        while session.pacedBacklog < pacerWindow, let delivery = networks[network]?.outbox.pop(now: .now, ready: joined) {
            if let separator = session.relaySeparator(in: delivery.room), let nick = delivery.relayNick(separator: separator),
               let body = delivery.body {
                session.relay(body, as: nick, to: delivery.room, kind: delivery.kind)
                networks[network]?.inFlight.sent(delivery)
            } else {
                session.say(delivery.text, to: delivery.room, kind: delivery.kind)
                var plain = delivery
                plain.body = nil  // sent as the bridge's own line
                networks[network]?.inFlight.sent(plain)
            }
            if let ticket = delivery.ticket { ticketTokens[TicketToken(network: network, token: session.confirm())] = ticket }
        }
        let dropped = networks[network]?.outbox.dropReport(now: .now) ?? []
        if !dropped.isEmpty {
            for (room, count) in dropped where joined(room) {
                let limit = settings.backlog, minutes = settings.backlogAge.components.seconds / 60
                let text = "\(BridgeRouter.marker)[bridge] \(count) line\(count == 1 ? " was" : "s were") not relayed here "
                    + "(the backlog of \(limit) lines or \(minutes) min ran over)"
                session.say(text, to: room, kind: .notice)
                Diagnostics.warn("bridge: \(label(network)): \(room): dropped \(count) line(s)")
            }
        }
        // The waiter first: the pump may empty the window at once (--rate 0).
        scheduleDrain(network)
        client.pump()
    }

    /// More to do later: lines still waiting go on when the network's pacer
    /// has room (an event from its host, not a poll); drops not yet reported
    /// are looked at again once their quiet second may have passed.
    private func scheduleDrain(_ network: Int) {
        guard let entry = networks[network], entry.client.isConnected, entry.client.session?.isRegistered == true else { return }
        // Only when the pacer's window is what stopped the drain: lines for a room
        // not joined yet go on at its JOIN (drain on .joined), not by waiting here.
        if !entry.outbox.isEmpty, (entry.client.session?.pacedBacklog ?? 0) >= pacerWindow {
            // Next turn, not inside the pump that freed the window (no recursion).
            entry.client.whenBacklog(atMost: pacerWindow - 1) { [weak self] in
                self?.loop.schedule(after: .zero) { [weak self] in self?.drain(network) }
            }
        }
        if entry.outbox.hasUnreported && reportTimers[network] == nil {
            reportTimers[network] = loop.schedule(after: .seconds(1)) { [weak self] in
                self?.reportTimers[network] = nil
                self?.drain(network)
            }
        }
    }

    // MARK: Webhooks

    /// A request's lines go into the outbox of every network with a room of
    /// that name, as the bridge's own (marked) lines: they wait for a network
    /// that is down and are sent again after a reconnect, like relayed lines.
    private func webhookRequest(_ id: Int, _ request: HTTPRequest, _ webhooks: Webhooks) {
        guard let server = webhookServer else { return }
        switch webhooks.decide(request) {
        case .answer(let response):
            server.respond(id, response)
        case .post(let room, let lines, let wait):
            var targets: [BridgeEndpoint] = []
            for member in router.groups.flatMap(\.members) where Casemapping.equal(member.room, room)
                && networks.indices.contains(member.network) && networks[member.network] != nil
                && !targets.contains(where: { $0.network == member.network && Casemapping.equal($0.room, member.room) }) {
                targets.append(member)
            }
            guard !targets.isEmpty else { return server.respond(id, HTTPResponse(404, "the bridge is in no room named \(room)")) }
            // All or nothing: webhook lines must not push relayed lines off a full backlog.
            if let full = targets.first(where: { (networks[$0.network]?.outbox.count ?? 0) + lines.count > settings.backlog }) {
                return server.respond(id, HTTPResponse(503, "busy: \(networks[full.network]?.outbox.count ?? 0) lines wait for \(label(full.network)); try later",
                                                       headers: [("Retry-After", "5")]))
            }
            if wait { tickets[id] = (room, lines.count, targets.count, lines.count * targets.count) }
            for target in targets {
                for line in lines {
                    var delivery = BridgeRouter.Delivery(network: target.network, room: target.room,
                                                         text: BridgeRouter.marker + line, kind: .message)
                    if wait { delivery.ticket = id }
                    networks[target.network]?.outbox.push(delivery, now: .now)
                }
                drain(target.network)
            }
            let counted = "\(lines.count) line\(lines.count == 1 ? "" : "s")"
            let networksSaid = "\(targets.count) network\(targets.count == 1 ? "" : "s")"
            guard wait else { return server.respond(id, HTTPResponse(202, "queued \(counted) for \(room) on \(networksSaid)")) }
            let seconds = settings.timeout.components.seconds
            loop.schedule(after: settings.timeout) { [weak self] in
                guard let self, let left = self.tickets.removeValue(forKey: id) else { return }
                self.webhookServer?.respond(id, HTTPResponse(202, "queued: \(left.lines * left.networks - left.unconfirmed) of "
                    + "\(left.lines * left.networks) lines confirmed within \(seconds) s; the rest wait or are sent and not confirmed yet"))
            }
        }
    }

    private func ticketConfirmed(_ id: Int) {
        guard var ticket = tickets[id] else { return }
        ticket.unconfirmed -= 1
        guard ticket.unconfirmed <= 0 else { tickets[id] = ticket; return }
        tickets[id] = nil
        webhookServer?.respond(id, HTTPResponse(200, "delivered \(ticket.lines) line\(ticket.lines == 1 ? "" : "s") to \(ticket.room) "
            + "on \(ticket.networks) network\(ticket.networks == 1 ? "" : "s")"))
    }

    // MARK: Reloading (SIGHUP)

    /// Reads the setup again and applies the difference: new networks connect,
    /// removed ones quit, changed ones reconnect; the rest keep their connection
    /// and only join or part rooms. An invalid file changes nothing.
    private func reload() {
        guard let read = settings.reload else { return }
        let new: BridgeSetup
        do {
            new = try read()
        } catch {
            return Diagnostics.say("bridge: reload: \(error); keeping the running setup")
        }
        let changes = setup.changes(to: new)
        // Clients for new and changed networks first: a TLS file that fails to load changes nothing.
        var fresh: [String: ClientHost] = [:]
        do {
            for spec in new.networks where changes.added.contains(spec.name) || changes.reconnected.contains(spec.name) {
                fresh[spec.name] = try makeClient(spec)
            }
        } catch {
            return Diagnostics.say("bridge: reload: \(error); keeping the running setup")
        }
        let oldRooms = live.reduce(into: [Int: [String]]()) { $0[$1] = router.rooms(on: $1) }
        for name in changes.removed + changes.reconnected {
            guard let index = networks.firstIndex(where: { $0?.spec.name == name }), let network = networks[index] else { continue }
            Diagnostics.info("bridge: \(network.spec.label): \(changes.removed.contains(name) ? "removed" : "changed; reconnecting")")
            network.client.quit("bridge reconfigured")
            if changes.removed.contains(name) { networks[index] = nil }
        }
        for spec in new.networks {
            if let index = networks.firstIndex(where: { $0?.spec.name == spec.name }) {
                if changes.reconnected.contains(spec.name) {
                    networks[index]?.client = fresh[spec.name]!
                    health.forget(index)
                }
                networks[index]?.spec = spec
                networks[index]?.client.sessionConfig.roomKeys = spec.keys
            } else {
                Diagnostics.info("bridge: \(spec.label): added")
                networks.append(Network(spec: spec, client: fresh[spec.name]!, outbox: newOutbox()))
            }
        }
        setup = new
        router = makeRouter(for: new, counters: router.relayed)
        for index in live {
            guard let network = networks[index] else { continue }
            let rooms = router.rooms(on: index)
            network.client.sessionConfig.rooms = rooms
            if changes.kept.contains(network.spec.name), let session = network.client.session, network.client.isConnected {
                let (join, part) = BridgeSetup.roomChanges(from: oldRooms[index] ?? [], to: rooms)
                for room in join { session.join(room, key: network.spec.keys[Casemapping.fold(room)]) }
                for room in part { session.part(room, reason: "bridge reconfigured") }
                network.client.pump()
            } else if changes.added.contains(network.spec.name) || changes.reconnected.contains(network.spec.name) {
                network.client.connect(timeout: settings.timeout)
            }
        }
        Diagnostics.info("bridge: reloaded: \(changes.added.count) network(s) added, \(changes.removed.count) removed, "
                        + "\(changes.reconnected.count) reconnected, \(changes.kept.count) kept")
    }

    // MARK: Operations

    private func scheduleStats(_ every: Duration) {
        loop.schedule(after: every) { [weak self] in
            self?.printStats()
            self?.scheduleStats(every)
        }
    }

    private func printStats() {
        for group in router.groups {
            for endpoint in group.members {
                let relayed = router.relayed[BridgeRouter.counterKey(network: endpoint.network, room: endpoint.room), default: 0]
                let outbox = networks[endpoint.network]?.outbox
                let waiting = outbox?.waiting(for: endpoint.room) ?? 0
                let dropped = outbox?.droppedByRoom[Casemapping.fold(endpoint.room)] ?? 0
                Diagnostics.info("bridge: \(label(endpoint.network))/\(endpoint.room): relayed \(relayed), waiting \(waiting), dropped \(dropped)")
            }
        }
    }

    private func stop(status: Int32) {
        if stopping { return loop.stop() }
        stopping = true
        exitStatus = status
        webhookServer?.close()
        for network in networks { network?.client.quit("bridge stopping") }
        if networks.allSatisfy({ $0?.client.hasConnection != true }) { return loop.stop() }
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }
}
