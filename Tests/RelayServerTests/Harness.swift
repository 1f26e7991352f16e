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

    init(_ configure: (inout ServerConfig) -> Void = { _ in }) {
        var config = ServerConfig()
        config.name = "test.server"
        configure(&config)
        var harness: Harness?
        server = ChatServer(config: config, wallClock: { harness?.wallClock ?? 0 })
        harness = self
    }

    func connect() -> FakeClient {
        nextID += 1
        let client = FakeClient(id: nextID)
        server.accept(nextID, endpoint: client, host: "127.0.0.1", now: now)
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

    func send(_ client: FakeClient, _ line: String) {
        server.receive(client.id, line: ArraySlice(line.utf8), now: now)
    }

    func advance(by duration: Duration) {
        now = now + duration
        server.tick(now: now)
    }
}
