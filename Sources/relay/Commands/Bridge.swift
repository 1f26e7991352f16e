import ArgumentParser
import RelayClient
import RelayIRC
import RelayLoop
import RelayServer
#if canImport(Glibc)
import Glibc
#endif

struct Bridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay messages between rooms on two or more servers.",
        discussion: """
            Each ENDPOINT is one room, irc[s]://[nick[:password]@]host[:port]/#room[?key]; \
            all of them form one group: what is said in any member appears in every \
            other, once, as "<nick> text". Rooms on the same server share one \
            connection. Each network reconnects on its own; lines for one that is \
            down wait (bounded by --backlog and --backlog-age). With --config, \
            several groups and per-network settings; SIGHUP re-reads the file. \
            SIGUSR1 prints counters; SIGINT or SIGTERM quits.
            """)

    @Argument(help: "irc[s]://[nick[:password]@]host[:port]/#room[?key], two or more (or use --config). Passwords are hidden from ps once relay starts; --password-file HOST=FILE is safer.")
    var endpoints: [String] = []

    @Option(help: ArgumentHelp("A TOML file of networks and groups (see the README); SIGHUP re-reads it.", valueName: "file"))
    var config: String?

    @OptionGroup(title: "TLS (for ircs:// endpoints)")
    var tlsFiles: TLSFileOptions

    @OptionGroup(title: "Webhooks (POST /send/ROOM says it in every bridged room of that name)")
    var webhooks: WebhookOptions

    @Option(help: "The bridge's nick where the URL names none.")
    var nick = "relay"

    @Option(name: .customLong("password-file"), help: ArgumentHelp(
        "HOST[:PORT]=FILE: the password for that network only, read from FILE (repeatable).", valueName: "host=file"))
    var passwordFiles: [String] = []

    @Option(help: "Seconds to wait for each connection; if no network answers in that time, exit 1.")
    var timeout = 30

    @Option(help: "Lines per second per network after a burst of 5; 0 turns pacing off.")
    var rate = 1.0

    @Option(help: "How relayed lines read: {nick} {room} {network} {text}.")
    var format = "<{nick}> {text}"

    @Flag(help: "Do not put a zero-width space in relayed nicks (it keeps namesakes from being pinged).")
    var noNickGuard = false

    @Flag(help: "Relay joins, parts, quits, kicks, nick and topic changes, as short notices.")
    var relayEvents = false

    @Flag(help: "Relay NOTICEs too.")
    var relayNotices = false

    @Option(name: .customLong("ignore"), help: ArgumentHelp("Never relay this nick (a mask, repeatable): other bots.", valueName: "nick"))
    var ignore: [String] = []

    @Option(help: "Lines kept per network while it is down or its pacer is behind; the oldest fall off, counted.")
    var backlog = 1000

    @Option(help: "How long a waiting line stays relevant: 600, 90s, 10m, 2h.")
    var backlogAge = "10m"

    @Option(help: "Seconds before rejoining a room the bridge was kicked from (at most 5 times).")
    var rejoinDelay = 10

    @Option(help: "Print per-room counters every N seconds (0: only on SIGUSR1).")
    var stats = 0

    @Flag(help: "Print every line sent and received on stderr (passwords masked).")
    var trace = false

    @Option(help: "What stderr says beyond errors: warn (losses, drops, kicks), info (the default: connections, joins, counters) or debug.")
    var logLevel: ServerLogEvent.Level = .info

    @Option(help: "stderr lines as text or json (one object per line).")
    var logFormat: OperatorLog.Format = .text

    func validate() throws {
        if config != nil {
            guard endpoints.isEmpty else { throw ValidationError("give endpoints or --config, not both") }
        } else {
            guard endpoints.count >= 2 else { throw ValidationError("a bridge needs two or more irc://host/#room endpoints, or --config FILE") }
        }
        try Limits.check("--stats", stats, 0...86_400)
        if config != nil, let option = tlsFiles.firstGiven {
            throw ValidationError("with --config, TLS settings go in the file (\(option) is ca_file, insecure or client_cert there)")
        }
        guard Names.isValidNick(nick, maxLength: 30) else { throw ValidationError("--nick \(nick) is not a valid nick") }
        try Limits.check("--timeout", timeout, Limits.timeout)
        try Limits.check("--rate", rate, Limits.rate)
        try Limits.check("--backlog", backlog, 1...100_000)
        try Limits.check("--rejoin-delay", rejoinDelay, 0...86_400)
        guard let age = Self.seconds(backlogAge), (1...86_400 * 7).contains(age) else {
            throw ValidationError("--backlog-age must be a duration from 1 s to 7 days, like 600, 90s, 10m or 2h (got \(backlogAge))")
        }
        if let problem = BridgeOptions.problem(with: format) { throw ValidationError(problem) }
    }

    /// "600", "90s", "10m", "2h" in seconds.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600]
        if let last = text.last, let unit = units[last] { return Int(text.dropLast()).map { $0 * unit } }
        return Int(text)
    }

    func run() throws {
        Diagnostics.level = logLevel
        Diagnostics.json = logFormat == .json
        let setup: BridgeSetup
        var settings = BridgeRunner.Settings()
        var options = BridgeOptions()
        options.format = format
        options.nickGuard = !noNickGuard
        options.relayEvents = relayEvents
        options.relayNotices = relayNotices
        options.ignore = ignore
        if let config {
            let defaults = BridgeConfigFile.Defaults(nick: nick, rate: rate, format: format)
            do {
                (setup, options.format) = try BridgeConfigFile.load(path: config, defaults: defaults)
            } catch {
                Diagnostics.fail("\(error)", status: ExitStatus.usage)
            }
            settings.reload = { try BridgeConfigFile.load(path: config, defaults: defaults).setup }
        } else {
            do {
                setup = try setupFromEndpoints()
            } catch {
                Diagnostics.fail("\(error)", status: ExitStatus.usage)
            }
            // SIGHUP reads the --password-file files again (a network whose password changed reconnects).
            settings.reload = { try setupFromEndpoints() }
        }
        settings.options = options
        settings.timeout = .seconds(timeout)
        settings.backlog = backlog
        settings.backlogAge = .seconds(Self.seconds(backlogAge) ?? 600)
        settings.rejoinDelay = .seconds(rejoinDelay)
        settings.stats = stats > 0 ? .seconds(stats) : nil
        settings.trace = trace
        do {
            if let (http, policy) = try webhooks.setup() {
                settings.http = http
                settings.webhooks = policy
            }
        } catch let error as ValidationError {
            Diagnostics.fail(error.message, status: ExitStatus.usage)
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }
        do {
            let loop = try EventLoop.makeDefault()
            Glibc.exit(try BridgeRunner(loop: loop, setup: setup, settings: settings).run())
        } catch {
            Diagnostics.fail("\(error)")
        }
    }

    /// One group of the endpoints named; endpoints on the same server, as the same
    /// nick, share a network (one connection).
    private func setupFromEndpoints() throws(Secrets.Failure) -> BridgeSetup {
        var networks: [BridgeNetwork] = []
        var members: [BridgeEndpoint] = []
        for text in endpoints {
            let target: ClientTarget
            do {
                target = try ClientTarget.parse(text)
            } catch {
                throw Secrets.Failure(description: "\(error)")
            }
            guard target.rooms.count == 1 else {
                throw Secrets.Failure(description: "\(text): name exactly one room per endpoint (irc://host/#room)")
            }
            let room = target.rooms[0]
            let nick = target.nick ?? self.nick
            if target.plain, let other = networks.first(where: { $0.host == target.host && $0.port == target.port }) {
                throw Secrets.Failure(description: "\(text): \(other.name) is named twice (a plain chat server is one room)")
            }
            let index = networks.firstIndex { $0.host == target.host && $0.port == target.port && $0.nick == nick } ?? {
                var network = BridgeNetwork(name: target.address, host: target.host, port: target.port, nick: nick, rate: rate)
                if target.plain { network.plainRoom = room }
                if target.tls {
                    network.tls = tlsFiles.settings
                }
                networks.append(network)
                return networks.count - 1
            }()
            guard !members.contains(where: { $0.network == index && Casemapping.equal($0.room, room) }) else {
                throw Secrets.Failure(description: "\(text): \(room) is named twice")
            }
            if let password = target.password { networks[index].password = password }
            if let key = target.key(for: room) { networks[index].keys[Casemapping.fold(room)] = key }
            members.append(BridgeEndpoint(network: index, room: room))
        }
        // A password only ever goes to the network it belongs to.
        for entry in passwordFiles {
            guard let equals = entry.firstIndex(of: "="), !entry[..<equals].isEmpty else {
                throw Secrets.Failure(description: "--password-file \(entry): expected HOST[:PORT]=FILE")
            }
            let name = String(entry[..<equals]), file = String(entry[entry.index(after: equals)...])
            let matching = networks.indices.filter { networks[$0].host == name || networks[$0].name == name }
            guard !matching.isEmpty else {
                throw Secrets.Failure(description: "--password-file \(name): no endpoint is on that network")
            }
            do {
                let secret = try Secrets.read(file: file, environment: "")
                for index in matching { networks[index].password = secret }
            } catch {
                throw Secrets.Failure(description: "\(error)")
            }
        }
        // Labels: the host, or host:port where one host serves several networks.
        for index in networks.indices where networks.filter({ $0.host == networks[index].host }).count == 1 {
            networks[index].label = networks[index].host
        }
        return BridgeSetup(networks: networks, groups: [BridgeGroup(members: members)])
    }
}
