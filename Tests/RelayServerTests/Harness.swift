import RelayIRC
@testable import RelayServer

/// A client as the core sees it: records each line it is sent.
final class FakeClient: ClientEndpoint {
    let id: ClientID
    private(set) var lines: [String] = []
    private(set) var closed = false

    init(id: ClientID) { self.id = id }

    func send(_ line: [UInt8]) {
        precondition(line.suffix(2) == [13, 10], "every line ends in CRLF")
        precondition(!closed, "sent after close")
        lines.append(String(decoding: line.dropLast(2), as: UTF8.self))
    }

    func close() { closed = true }

    /// The lines received since the last call.
    func take() -> [String] {
        defer { lines.removeAll() }
        return lines
    }
}

/// The server core with a fake clock and fake clients: lines in, lines out.
final class Harness {
    var now = ContinuousClock.now
    var wallClock: Int64 = 1_700_000_000
    let server: ChatServer
    private var nextID = 0

    init(persistence: PersistentHistory? = nil, _ configure: (inout ServerConfig) -> Void = { _ in }) {
        var config = ServerConfig()
        config.name = "test.server"
        configure(&config)
        weak var harness: Harness?  // weak: the server's clock must not keep the harness alive
        server = ChatServer(config: config, wallClock: { harness?.wallClock ?? 0 }, persistence: persistence)
        harness = self
    }

    func connect(secure: Bool = false) -> FakeClient {
        nextID += 1
        let client = FakeClient(id: nextID)
        server.accept(nextID, endpoint: client, host: "127.0.0.1", secure: secure, now: now)
        return client
    }

    /// A plain user: connects and stays silent until the dialect deadline passes.
    func plainUser(nick: String? = nil) -> FakeClient {
        let client = connect()
        advance(by: server.config.plainAfter)
        if let nick { send(client, "/nick \(nick)") }
        _ = client.take()
        return client
    }

    /// A registered IRC client, its welcome burst already read.
    func ircUser(_ nick: String, secure: Bool = false) -> FakeClient {
        let client = connect(secure: secure)
        send(client, "NICK \(nick)")
        send(client, "USER \(nick.lowercased()) 0 * :\(nick) Real")
        precondition(client.lines.contains { $0.contains(" 001 ") }, "registered: \(client.lines)")
        _ = client.take()
        return client
    }

    func send(_ client: FakeClient, _ line: String) {
        server.receive(client.id, line: ArraySlice(line.utf8), now: now)
        if runsPasswordJobs { runPasswordJobs() }
    }

    /// Password jobs done at once, with a stand-in for the hash (the host's is PBKDF2, off the loop).
    var runsPasswordJobs = true

    func runPasswordJobs() {
        for job in server.takePasswordJobs() {
            switch job.kind {
            case .hash(let password): server.passwordJobDone(job.id, .hashed("fake$" + password), now: now)
            case .verify(let password, let hash): server.passwordJobDone(job.id, .verified(hash == "fake$" + password), now: now)
            }
        }
    }

    /// Moves the clock, running each deadline on the way at its own time, as the loop would.
    func advance(by duration: Duration) {
        let target = now + duration
        while let deadline = server.nextDeadline, deadline <= target {
            now = max(now, deadline)
            server.tick(now: now)
        }
        now = target
        server.tick(now: now)
    }
}

extension Harness {
    /// A registered IRC client that negotiated `caps` (CAP LS 302, REQ, END),
    /// its welcome burst already read.
    func ircv3User(_ nick: String, caps: String) -> FakeClient {
        let client = connect()
        send(client, "CAP LS 302")
        send(client, "CAP REQ :\(caps)")
        precondition(client.lines.last == ":\(server.config.name) CAP * ACK :\(caps)", "ACK: \(client.lines)")
        send(client, "NICK \(nick)")
        send(client, "USER \(nick.lowercased()) 0 * :\(nick) Real")
        send(client, "CAP END")
        precondition(client.lines.contains { $0.contains(" 001 ") }, "registered: \(client.lines)")
        _ = client.take()
        return client
    }

    /// The `time` tag of a line sent now.
    var timeTag: String { "2023-11-14T22:13:20.000Z" }
}

extension FakeClient {
    /// The value of tag `key` in a wire line ("@a=1;b=2 …").
    static func tag(_ key: String, of line: String) -> String? {
        guard line.hasPrefix("@"), let space = line.firstIndex(of: " ") else { return nil }
        for item in line[line.index(after: line.startIndex)..<space].split(separator: ";") {
            let parts = item.split(separator: "=", maxSplits: 1)
            if parts[0] == key { return parts.count > 1 ? String(parts[1]) : "" }
        }
        return nil
    }
}
