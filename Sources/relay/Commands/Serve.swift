import ArgumentParser
import RelayClient
import RelayIRC
import RelayLoop
import RelayServer
import RelayStore
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a chat server for nc/telnet users and IRC clients.",
        discussion: """
            People on `nc HOST PORT` or telnet get readable text and slash commands \
            (/help lists them); IRC clients get IRC, with the IRCv3 capabilities they \
            ask for (CAP LS 302: server-time, message-tags, echo-message, chathistory, \
            MONITOR and more). Both share the same rooms. \
            With --tls-cert and --tls-key, TLS connections too (people use \
            `openssl s_client -quiet -connect HOST:6697`). SIGHUP reloads the \
            certificate, key, MOTD and password files; SIGINT and SIGTERM shut down.
            """)

    @Option(help: ArgumentHelp(
        "A TOML file whose keys are these options (port = 6667, tls_cert = \"...\", oper = [\"admin\"]); the command line wins. SIGHUP re-reads it.",
        valueName: "file"))
    var config: String?

    @Option(help: "The address to listen on (a name, an IPv4 or an IPv6 address).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 6667

    @Option(help: ArgumentHelp("The TLS certificate chain (PEM); with --tls-key, TLS is served on --tls-port.", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("The TLS certificate's private key (PEM).", valueName: "file"))
    var tlsKey: String?

    @Option(help: "The port for TLS connections; 0 picks a free one.")
    var tlsPort = 6697

    @Flag(help: "Serve TLS only: no plain port.")
    var tlsOnly = false

    @Option(help: ArgumentHelp(
        "Tell IRCv3 clients to use TLS only, for this many seconds (STS: plain connections learn the TLS port); needs a certificate clients trust.",
        valueName: "seconds"))
    var stsDuration: Int?

    @Option(help: "Lines of a room's history replayed to plain users who join.")
    var history = 20

    @Option(help: ArgumentHelp("Keep state in DIR (created, mode 0700): rooms' history survives a restart (SQLite, WAL).", valueName: "dir"))
    var data: String?

    @Option(help: "With --data: lines kept on disk per room (the oldest go).")
    var historyLines = 1000

    @Option(help: "With --data: days a line is kept on disk; 0 keeps them until --history-lines pushes them out.")
    var historyDays = 0

    @Flag(help: "With --data: check the data (schema version, integrity), print what is wrong, exit 0 if nothing is.")
    var check = false

    @Option(help: ArgumentHelp("With --data: write the data to FILE as JSON Lines, then exit.", valueName: "file"))
    var export: String?

    @Option(name: .customLong("import"), help: ArgumentHelp("With --data: read FILE (from --export) into empty data, then exit.", valueName: "file"))
    var importFile: String?

    @Option(help: "The room plain users start in; '' for none (they are told how to join one).")
    var lobby = "#lobby"

    @Option(help: "Entries per room in each list mode (bans); more get 478.")
    var maxList = 100

    @Option(name: .customLong("sendq"), help: "Bytes that may wait for a slow reader before it is dropped.")
    var sendQueue = 1 << 20

    @Option(help: "The most clients connected at once.")
    var maxClients = 10_000

    @Option(help: "The server's name in IRC replies (default: the host name).")
    var name: String?

    @Option(help: "The network name announced to clients.")
    var network = "relay"

    @Option(help: ArgumentHelp("A file holding the connection password (or set RELAY_PASSWORD).", valueName: "file"))
    var passwordFile: String?

    @Option(help: ArgumentHelp("A file whose lines are the message of the day.", valueName: "file"))
    var motd: String?

    @Option(help: ArgumentHelp("An operator name for OPER (repeatable).", valueName: "name"))
    var oper: [String] = []

    @Option(help: ArgumentHelp(
        "Operator passwords: lines of 'NAME PASSWORD', or one password for every --oper (or set RELAY_OPER_PASSWORD).",
        valueName: "file"))
    var operPasswordFile: String?

    @Option(help: "Seconds of silence before an IRC client is PINGed; as long again without a reply drops it.")
    var pingInterval = 60

    @Option(help: "Flood control: lines a client may send at once.")
    var floodBurst = 10

    @Option(help: "Flood control: lines per second after the burst; 0 turns it off.")
    var floodRate = 2.0

    @Option(help: "Connections from one address (an IPv6 /64 counts as one address); 0 for no limit. Default 10, loopback not counted unless this is given.")
    var maxPerIp: Int?

    @Option(help: "Seconds a connection has to finish registering: the TLS handshake, a plain user's password, or IRC registration.")
    var registerTimeout = 60

    @Option(help: "What the operator's log on stderr says: error, warn, info (connections, disconnections and why, operator actions) or debug.")
    var logLevel: ServerLogEvent.Level = .info

    @Option(help: "The operator's log as text or json (one object per line).")
    var logFormat: OperatorLog.Format = .text

    @Option(help: ArgumentHelp(
        "Milliseconds output (and input) may wait after a busy write (to 32 or more clients at once), so the next lines leave in the same write; 0 writes at once.",
        valueName: "ms"))
    var coalesce = 1.0

    @Option(help: ArgumentHelp(
        "Share rooms with the other nodes using this Redis (7 or later for sharded pub/sub): redis://HOST[:6379][/DB], or rediss:// for TLS.",
        valueName: "url"))
    var cluster: String?

    @Option(help: ArgumentHelp("The Redis password (or set RELAY_CLUSTER_PASSWORD); one in the URL works too (masked in ps, kept in the shell's history).", valueName: "file"))
    var clusterPasswordFile: String?

    @Option(help: ArgumentHelp("With rediss://: the CA certificate that signed Redis's (PEM); default, the system's store.", valueName: "file"))
    var clusterTlsCa: String?

    @Option(help: "Seconds a silent node is trusted: a node that dies has its users quit everywhere within this (default 15).")
    var clusterTtl: Int?

    @Option(help: "Longest nick.")
    var nickLength = 30

    @Option(help: "Longest channel name.")
    var channelLength = 50

    @Option(help: "Longest topic.")
    var topicLength = 390

    @Option(help: "Channels one user may be in.")
    var maxChannels = 50

    func validate() throws {
        try Limits.check("--port", port, Limits.port)
        try Limits.check("--tls-port", tlsPort, Limits.port)
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if tlsOnly && tlsCert == nil { throw ValidationError("--tls-only needs --tls-cert and --tls-key") }
        try Limits.check("--history-lines", historyLines, 0...1_000_000)
        try Limits.check("--history-days", historyDays, 0...36_500)
        if data == nil && (check || export != nil || importFile != nil) {
            throw ValidationError("--check, --export and --import need --data DIR")
        }
        if [check, export != nil, importFile != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--check, --export and --import go one at a time")
        }
        if let stsDuration {
            if tlsCert == nil { throw ValidationError("--sts-duration needs --tls-cert and --tls-key") }
            try Limits.check("--sts-duration", stsDuration, 0...31_536_000)
        }
        try Limits.check("--history", history, Limits.history)
        try Limits.check("--sendq", sendQueue, Limits.sendQueue)
        try Limits.check("--max-clients", maxClients, Limits.clients)
        try Limits.check("--ping-interval", pingInterval, Limits.pingInterval)
        try Limits.check("--flood-burst", floodBurst, Limits.floodBurst)
        try Limits.check("--flood-rate", floodRate, Limits.rate)
        try Limits.check("--coalesce", coalesce, Limits.coalesce)
        if let maxPerIp { try Limits.check("--max-per-ip", maxPerIp, Limits.perIP) }
        try Limits.check("--register-timeout", registerTimeout, Limits.timeout)
        try Limits.check("--nick-length", nickLength, Limits.nickLength)
        try Limits.check("--channel-length", channelLength, Limits.channelLength)
        try Limits.check("--topic-length", topicLength, Limits.topicLength)
        try Limits.check("--max-channels", maxChannels, Limits.channels)
        try Limits.check("--max-list", maxList, 1...10_000)
        if let clusterTtl { try Limits.check("--cluster-ttl", clusterTtl, 2...3_600) }
        if let cluster {
            do { _ = try RedisURL(parsing: cluster) } catch { throw ValidationError(error.description) }
        } else if clusterPasswordFile != nil || clusterTlsCa != nil || clusterTtl != nil {
            throw ValidationError("--cluster-password-file, --cluster-tls-ca and --cluster-ttl need --cluster URL")
        }
        if !lobby.isEmpty && !Names.isValidChannel(ClientTarget.roomName(lobby), maxLength: channelLength) {
            throw ValidationError("--lobby \(lobby) is not a room name")
        }
    }

    /// The server's configuration from the flags, the secret files and the environment.
    func makeConfig() throws -> ServerConfig {
        var config = ServerConfig()
        config.name = name ?? Self.hostName()
        config.network = network
        config.historyLength = history
        config.stsDuration = stsDuration
        config.defaultRoom = lobby.isEmpty ? nil : ClientTarget.roomName(lobby)
        config.maxListEntries = maxList
        config.maxClients = maxClients
        if let maxPerIp {
            config.maxPerIP = maxPerIp
            config.maxPerIPExemptsLoopback = false
        }
        config.registrationTimeout = .seconds(registerTimeout)
        config.pingInterval = .seconds(pingInterval)
        config.floodBurst = floodBurst
        config.floodRate = floodRate
        config.nickLength = nickLength
        config.channelLength = channelLength
        config.topicLength = topicLength
        config.channelsPerUser = maxChannels
        config.password = try Secrets.read(file: passwordFile, environment: "RELAY_PASSWORD")
        if let motd {
            config.motd = try Secrets.lines(of: motd)
        }
        if !oper.isEmpty {
            config.operators = try Secrets.operatorPasswords(names: oper, file: operPasswordFile,
                                                             environment: "RELAY_OPER_PASSWORD")
        }
        return config
    }

    /// The TLS settings from --tls-cert and --tls-key, nil without them.
    func makeTLS() throws -> TLSContext? {
        guard let tlsCert, let tlsKey else { return nil }
        Secrets.warnIfExposed(tlsKey)
        return try TLSContext.server(certificate: tlsCert, key: tlsKey)
    }

    func run() throws {
        guard let path = config else { return try serve() }
        let effective: Serve
        do {
            effective = try Self.loading(path)
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }
        try effective.serve()
    }

    /// The options from the configuration file, then the command line's (which win).
    static func loading(_ path: String) throws -> Serve {
        let fileArguments = try ServeConfigFile.arguments(path: path)
        do {
            return try Serve.parse(fileArguments + Relay.subcommandArguments)
        } catch {
            let text = (try? Secrets.contents(of: path)) ?? ""
            throw ServeConfigFile.Failure(description: ServeConfigFile.locate(Serve.message(for: error), path: path, text: text))
        }
    }

    /// What changed between two configurations that only a restart applies:
    /// the sockets, the send queue, the log's shape.
    func restartNeeded(comparedTo running: Serve) -> [String] {
        var names: [String] = []
        if host != running.host { names.append("host") }
        if port != running.port { names.append("port") }
        if tlsPort != running.tlsPort { names.append("tls_port") }
        if tlsOnly != running.tlsOnly { names.append("tls_only") }
        if (tlsCert == nil) != (running.tlsCert == nil) { names.append("tls_cert") }
        if sendQueue != running.sendQueue { names.append("sendq") }
        if logLevel != running.logLevel { names.append("log_level") }
        if logFormat != running.logFormat { names.append("log_format") }
        if cluster != running.cluster || clusterTtl != running.clusterTtl || clusterTlsCa != running.clusterTlsCa
            || clusterPasswordFile != running.clusterPasswordFile { names.append("cluster") }
        return names
    }

    /// `--check`, `--export`, `--import`: a job on the data, then exit.
    private func dataJob(_ directory: DataDirectory) -> Never {
        do {
            if check {
                let problems = try directory.check()
                for problem in problems { Diagnostics.say("\(directory.path): \(problem)") }
                if problems.isEmpty { print("\(directory.path): ok (schema version \(Schema.version))") }
                Glibc.exit(problems.isEmpty ? 0 : 1)
            }
            if let export {
                let count = try directory.export(to: export)
                print("exported \(count) history line\(count == 1 ? "" : "s") to \(export)")
            } else if let importFile {
                let count = try directory.importing(from: importFile)
                print("imported \(count) history line\(count == 1 ? "" : "s") into \(directory.path)")
            }
            Glibc.exit(0)
        } catch {
            Diagnostics.fail("\(error)")
        }
    }

    private func serve() throws {
        var dataDirectory: DataDirectory?
        if let data {
            do {
                dataDirectory = try DataDirectory(data)
            } catch {
                Diagnostics.fail("\(error)", status: ExitStatus.usage)
            }
        }
        if let dataDirectory, check || export != nil || importFile != nil { dataJob(dataDirectory) }
        var config: ServerConfig
        let tls: TLSContext?
        do {
            config = try makeConfig()
            config.maxClients = DescriptorLimit.raise(toServe: config.maxClients)
            tls = try makeTLS()
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }
        let loop: EventLoop
        var ports: [ServerHost.Port] = []
        do {
            loop = try EventLoop.makeDefault()
            loop.coalescing = WriteCoalescing(window: .microseconds(Int64((coalesce * 1000).rounded())))
        } catch {
            Diagnostics.fail("\(error)")
        }
        for (number, secure) in [(port, false), (tlsPort, true)] where secure ? tls != nil : !tlsOnly {
            do {
                ports.append(ServerHost.Port(listener: try Listener(host: host, port: number), tls: secure))
            } catch {
                Diagnostics.fail("listen \(host):\(number): \(error)")
            }
        }
        config.stsPort = ports.first { $0.tls }?.listener.address.port  // the real one, when --tls-port 0
        // From here on stderr never blocks the loop: a log nobody reads drops lines, counted.
        let log = OperatorLog(level: logLevel, format: logFormat)
        Diagnostics.json = logFormat == .json
        let sink = StderrSink(loop: loop)
        sink.reportDropped = { log.line(for: ServerLogEvent(.warn, "log-dropped", [("lines", String($0)), ("why", "stderr was not read")])) }
        Diagnostics.sink = sink
        defer { sink.flushNow() }
        var persistence: PersistentHistory?
        var store: StoreWriter?
        if let dataDirectory {
            do {
                (persistence, store) = try dataDirectory.open(keepLines: max(historyLines, history), keepDays: historyDays)
            } catch {
                Diagnostics.fail("\(error)")
            }
        }
        let server = ServerHost(loop: loop, ports: ports, tls: tls, config: config, sendQueueLimit: sendQueue, log: log,
                                persistence: persistence, store: store)
        defer { server.closeStore() }
        if let cluster {
            do {
                let url = try RedisURL(parsing: cluster)
                let password = try Secrets.read(file: clusterPasswordFile, environment: "RELAY_CLUSTER_PASSWORD")
                let clusterTLS = url.tls ? try TLSContext.client(caFile: clusterTlsCa) : nil
                server.core.joinCluster(nodeID: ClusterEvent.makeNodeID(random: UInt64.random(in: 0...UInt64.max)), ttl: .seconds(clusterTtl ?? 15))
                let link = ClusterLink(loop: loop, url: url, password: password, tls: clusterTLS, core: server.core, log: log)
                link.afterCore = { [unowned server] in server.syncCoreTimer() }
                server.cluster = link
            } catch {
                Diagnostics.fail("\(error)", status: ExitStatus.usage)
            }
        }
        server.reload = { [self] in
            // With --config, the file again (the command line still wins); else the same files again.
            let fresh = try self.config.map { try Self.loading($0) } ?? self
            var config = try fresh.makeConfig()
            config.maxClients = min(config.maxClients, DescriptorLimit.available)
            return (try fresh.makeTLS(), config, fresh.restartNeeded(comparedTo: self))
        }
        do {
            try server.start()
            server.cluster?.start()
            for port in ports {
                if logFormat == .json {
                    // Whatever the level: it is the line that says the server is up.
                    Diagnostics.write(log.line(for: ServerLogEvent(.info, "listening", [("address", "\(port.listener.address)"),
                                                                                        ("tls", port.tls ? "yes" : "no")])))
                } else {
                    Diagnostics.say("listening on \(port.listener.address)\(port.tls ? " (TLS)" : "")")
                }
            }
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

/// `--log-level error|warn|info|debug`, for every command: one level type, the core's.
extension ServerLogEvent.Level: ExpressibleByArgument {}

extension OperatorLog.Format: ExpressibleByArgument {}
