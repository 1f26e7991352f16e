import ArgumentParser
import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

struct Bridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay messages between rooms on two or more servers.",
        discussion: """
            Joins every room named in the URLs and says in each what is said in the \
            others, as "<nick> text". Each connection reconnects on its own; lines \
            for a server that is down are sent when it is back (up to 500 per server). \
            Runs until SIGINT or SIGTERM.
            """)

    @Argument(help: "irc://host[:port]/#room[,#room2], two or more.")
    var targets: [String] = []

    @Option(help: "The bridge's nick on every server.")
    var nick = "relay"

    @Option(help: ArgumentHelp("A file holding the servers' password (or set RELAY_PASSWORD).", valueName: "file"))
    var passwordFile: String?

    @Option(help: "Seconds to wait for each connection.")
    var timeout = 30

    @Option(help: "Lines per second per server after a burst of 5; 0 turns pacing off.")
    var rate = 1.0

    @Flag(help: "Print every line sent and received on stderr (passwords masked).")
    var trace = false

    func validate() throws {
        guard targets.count >= 2 else { throw ValidationError("a bridge needs two or more irc://host/#room targets") }
        guard Names.isValidNick(nick, maxLength: 30) else { throw ValidationError("--nick \(nick) is not a valid nick") }
        try Limits.check("--timeout", timeout, Limits.timeout)
        try Limits.check("--rate", rate, Limits.rate)
    }

    func run() throws {
        var parsed: [ClientTarget] = []
        for target in targets {
            do {
                let one = try ClientTarget.parse(target)
                guard !one.rooms.isEmpty else {
                    Diagnostics.fail("\(target): name the room to bridge (irc://host/#room)", status: ExitStatus.usage)
                }
                parsed.append(one)
            } catch {
                Diagnostics.fail("\(error)", status: ExitStatus.usage)
            }
        }
        let password: String?
        let loop: EventLoop
        do {
            password = try Secrets.read(file: passwordFile, environment: "RELAY_PASSWORD")
            loop = try EventLoop.makeDefault()
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }
        let clients = parsed.map { target -> ClientHost in
            var config = SessionConfig(nick: target.nick ?? nick)
            config.rooms = target.rooms
            config.roomKeys = target.keys
            config.password = target.password ?? password
            config.pacingRate = rate
            let client = ClientHost(loop: loop, target: target, session: config)
            client.trace = trace
            return client
        }
        do {
            Glibc.exit(try BridgeRunner(loop: loop, clients: clients, timeout: .seconds(timeout)).run())
        } catch {
            Diagnostics.fail("\(error)")
        }
    }
}
