import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay bridge`: one client per server, all on this loop; what is said in
/// one bridged room is said in the others. Each connection reconnects on its
/// own with backoff; lines for a server that is down wait (bounded) and go out
/// once it is back.
final class BridgeRunner: ClientHostDelegate {
    private let loop: EventLoop
    private let clients: [ClientHost]
    private let router: BridgeRouter
    private let timeout: Duration
    /// Lines waiting for a server that is down, by endpoint.
    private var waiting: [[(room: String, text: String)]]
    private let waitingLimit = 500
    private var dropped: [Int]
    private var stopping = false

    init(loop: EventLoop, clients: [ClientHost], timeout: Duration) {
        self.loop = loop
        self.clients = clients
        self.timeout = timeout
        self.router = BridgeRouter(rooms: clients.map { $0.sessionConfig.rooms })
        self.waiting = Array(repeating: [], count: clients.count)
        self.dropped = Array(repeating: 0, count: clients.count)
    }

    func run() throws -> Int32 {
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            try loop.onSignal(signo) { [unowned self] _ in stop() }
        }
        for client in clients {
            client.delegate = self
            client.connect(timeout: timeout)
        }
        try loop.run()
        return ExitStatus.success
    }

    private func index(of client: ClientHost) -> Int {
        clients.firstIndex { $0 === client }!
    }

    private var bridgeNicks: [String] {
        clients.compactMap { $0.session?.nick }
    }

    func client(_ client: ClientHost, event: ClientEvent) {
        let endpoint = index(of: client)
        switch event {
        case .registered(let nick):
            Diagnostics.say("bridge: \(client.target.address) connected as \(nick)")
            let lines = waiting[endpoint]
            waiting[endpoint].removeAll()
            if dropped[endpoint] > 0 {
                Diagnostics.say("bridge: \(client.target.address) was down too long: \(dropped[endpoint]) line(s) were not relayed to it")
                dropped[endpoint] = 0
            }
            for line in lines { client.session?.say(line.text, to: line.room) }
        case .chat(let line):
            for delivery in router.route(line, from: endpoint, bridgeNicks: bridgeNicks) {
                deliver(delivery)
            }
        case .refused(let code, let subject, let text):
            Diagnostics.say("bridge: \(client.target.address): \(subject.map { "\($0): " } ?? "")\(code) \(text)")
        case .nickInUse(let taken, let next):
            Diagnostics.say("bridge: \(client.target.address): \(taken) is taken; trying \(next)")
        case .failed(let failure):
            Diagnostics.say("bridge: \(client.target.address): \(failure)")
            client.close()
        default:
            break
        }
        client.pump()
    }

    private func deliver(_ delivery: BridgeRouter.Delivery) {
        let client = clients[delivery.endpoint]
        if let session = client.session, client.isConnected, session.isRegistered {
            session.say(delivery.text, to: delivery.room)
            client.pump()
            return
        }
        if waiting[delivery.endpoint].count >= waitingLimit {
            waiting[delivery.endpoint].removeFirst()
            dropped[delivery.endpoint] += 1
        }
        waiting[delivery.endpoint].append((delivery.room, delivery.text))
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if stopping {
            if clients.allSatisfy({ !$0.hasConnection }) { loop.stop() }
            return
        }
        let seconds = client.reconnectLater(timeout: timeout)
        Diagnostics.say("bridge: lost \(client.target.address) (\(reason)); reconnecting in \(seconds) s")
    }

    private func stop() {
        if stopping { return loop.stop() }
        stopping = true
        for client in clients { client.quit("bridge stopping") }
        if clients.allSatisfy({ !$0.hasConnection }) { return loop.stop() }
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }
}
