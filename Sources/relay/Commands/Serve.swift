import ArgumentParser
import RelayLoop
import RelayServer
#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a chat server for nc/telnet users and IRC clients.",
        discussion: """
            People on `nc HOST PORT` or telnet get readable text and slash commands \
            (/help lists them); IRC clients get IRC. Both share the same rooms.
            """)

    @Option(help: "The address to listen on (a name, an IPv4 or an IPv6 address).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 6667

    @Option(help: "Lines of a room's history replayed to plain users who join.")
    var history = 20

    @Option(name: .customLong("sendq"), help: "Bytes that may wait for a slow reader before it is dropped.")
    var sendQueue = 1 << 20

    @Option(help: "The most clients connected at once.")
    var maxClients = 10_000

    @Option(help: "The server's name in IRC replies (default: the host name).")
    var name: String?

    @Option(help: "The network name announced to clients.")
    var network = "relay"

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        guard history >= 0 else { throw ValidationError("--history must be 0 or more") }
        guard sendQueue >= 4096 else { throw ValidationError("--sendq must be at least 4096") }
        guard maxClients > 0 else { throw ValidationError("--max-clients must be at least 1") }
    }

    func run() throws {
        var config = ServerConfig()
        config.name = name ?? Self.hostName()
        config.network = network
        config.historyLength = history
        config.maxClients = maxClients

        let loop: EventLoop
        let listener: Listener
        do {
            loop = try EventLoop.makeDefault()
            listener = try Listener(host: host, port: port)
        } catch {
            Diagnostics.fail("listen \(host):\(port): \(error)")
        }
        let server = ServerHost(loop: loop, listener: listener, config: config, sendQueueLimit: sendQueue)
        do {
            try server.start()
            Diagnostics.say("listening on \(listener.address)")
            try loop.run()
        } catch {
            Diagnostics.fail("\(error)")
        }
    }

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "relay" }
        let name = String(cString: buffer)
        return name.isEmpty || name.contains(" ") ? "relay" : name
    }
}
