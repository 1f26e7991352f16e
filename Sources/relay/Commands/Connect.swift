import ArgumentParser
import RelayClient
import RelayHTTP
import RelayIRC
import RelayLoop
import RelayServer
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat in rooms on any IRC server, interactively or from a script.",
        discussion: """
            With a terminal, an interactive chat (/help inside lists the commands). \
            Without one, or with --send, each --send TEXT and each stdin line is sent \
            to the rooms; relay exits 0 once the server has confirmed it got them. \
            With --exec, --on, --listen or --http, a bot that stays connected. A target \
            unix:PATH posts through such a bot's --listen socket. \
            Exit codes: 0 success, 1 failure, 2 usage, 3 refused (password, ban, SASL or NickServ login, TLS client certificate).
            """)

    @Argument(help: "irc[s]://[nick[:password]@]host[:port]/#room[,#room2][?key], host[:port] (port 6667; ircs:// 6697), tcp://host:port (a plain line-chat server such as ncat --chat), or unix:PATH. A password here is hidden from ps once relay starts, but --password-file is safer (shell history, the moment before).")
    var target: String

    @OptionGroup(title: "TLS and login")
    var login: LoginOptions

    @OptionGroup(title: "Bots")
    var bot: BotOptions

    @OptionGroup(title: "Webhooks")
    var webhooks: WebhookOptions

    /// A bot stays connected: scripts, an announce socket or a webhook listener.
    private var isBot: Bool { bot.isBot || webhooks.isOn }

    @Option(name: .customLong("join"), help: ArgumentHelp("A room to join, with its key if it has one: '#room key' (repeatable).", valueName: "room"))
    var joins: [String] = []

    @Option(name: .customLong("key"), help: ArgumentHelp("A room key; the Nth --key goes to the Nth room named (repeatable).", valueName: "key"))
    var keys: [String] = []

    @Option(help: "The nick (default: your login name).")
    var nick: String?

    @Option(help: ArgumentHelp("A file holding the server password (or set RELAY_PASSWORD).", valueName: "file"))
    var passwordFile: String?

    @Option(help: "Seconds to wait for the connection and for confirmation.")
    var timeout = 30

    @Option(name: .customLong("send"), help: ArgumentHelp("Send TEXT to the rooms and exit (repeatable).", valueName: "text"))
    var texts: [String] = []

    @Flag(help: "Send as NOTICE instead of PRIVMSG.")
    var notice = false

    @Flag(help: "Send without joining (if the room refuses, join, send and part).")
    var noJoin = false

    @Flag(help: "Print incoming messages as JSON Lines.")
    var json = false

    @Flag(help: "Print incoming messages as text even for a one-shot send.")
    var verbose = false

    @Flag(help: "Keep running (and logging) after stdin ends.")
    var stay = false

    @Flag(help: "Print every line sent and received on stderr (passwords masked).")
    var trace = false

    @Option(help: "What stderr says beyond errors: warn, info (the default: connected, reconnecting) or debug.")
    var logLevel: ServerLogEvent.Level = .info

    @Option(help: "stderr lines as text or json (one object per line).")
    var logFormat: OperatorLog.Format = .text

    @Option(help: "Lines per second after a burst of 5; 0 turns pacing off.")
    var rate = 1.0

    func validate() throws {
        try Limits.check("--timeout", timeout, Limits.timeout)
        try Limits.check("--rate", rate, Limits.rate)
        if let nick, !Names.isValidNick(nick, maxLength: 30) {
            throw ValidationError("--nick \(nick) is not a valid nick")
        }
    }

    func run() throws {
        Diagnostics.level = logLevel
        Diagnostics.json = logFormat == .json
        if target.hasPrefix("unix:") { postThroughSocket(path: String(target.dropFirst(5))) }
        var parsed: ClientTarget
        do {
            parsed = try ClientTarget.parse(target)
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }
        for join in joins {
            let words = join.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let name = words.first.map(ClientTarget.roomName) ?? ""
            guard words.count <= 2, Names.isValidChannel(name, maxLength: 200) else {
                Diagnostics.fail("--join \(words.first ?? join) is not a room name (give '#room' or '#room key')", status: ExitStatus.usage)
            }
            if words.count == 2 && !ClientTarget.isValidKey(words[1]) {
                Diagnostics.fail("--join \(name): the key is not valid", status: ExitStatus.usage)
            }
            parsed.add(room: name, key: words.count == 2 ? words[1] : nil)
        }
        guard keys.count <= parsed.rooms.count else {
            Diagnostics.fail("\(keys.count) --key for \(parsed.rooms.count) room(s)", status: ExitStatus.usage)
        }
        for (room, key) in zip(parsed.rooms, keys) {
            guard ClientTarget.isValidKey(key) else { Diagnostics.fail("--key for \(room) is not valid", status: ExitStatus.usage) }
            parsed.add(room: room, key: key)
        }
        if parsed.plain && parsed.rooms.count > 1 {
            Diagnostics.fail("\(target) is a plain chat server: one room (--join adds none)", status: ExitStatus.usage)
        }
        let rooms = parsed.rooms
        if isBot && (!texts.isEmpty || noJoin) {
            Diagnostics.fail("--send and --no-join do not go with --exec, --on, --listen or --http (post through --listen instead)",
                             status: ExitStatus.usage)
        }
        let interactive = !isBot && texts.isEmpty && isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        if !interactive && !isBot && rooms.isEmpty {
            Diagnostics.fail("no room to send to: name one in the URL (irc://host/#room) or with --join", status: ExitStatus.usage)
        }

        var config = SessionConfig(nick: nick ?? parsed.nick ?? Self.loginNick())
        config.rooms = rooms
        config.roomKeys = parsed.keys
        config.pacingRate = rate
        config.joinOnRegister = interactive || !noJoin
        // IRCv3 where the server offers it: a person in the chat sees the room's
        // recent lines on joining (draft/chathistory); a bot says it is one (+B).
        if interactive { config.historyOnJoin = 20 }
        config.botMode = isBot
        if parsed.plain {
            config.plainRoom = rooms[0]
            config.plainSpeaker = parsed.host
        }
        do {
            // --password-file, then the URL's password, then RELAY_PASSWORD.
            config.password = passwordFile == nil && parsed.password != nil
                ? parsed.password
                : try Secrets.read(file: passwordFile, environment: "RELAY_PASSWORD")
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }

        let tls: TLSContext?
        do {
            tls = try login.tlsContext(for: parsed)
            if tls != nil && parsed.plain { throw ValidationError("\(target) is a plain chat server: no TLS (use ircs:// for IRC over TLS)") }
            if tls != nil { parsed = parsed.withTLS() }
            try login.apply(to: &config, tls: tls != nil)
        } catch let error as ValidationError {
            Diagnostics.fail(error.message, status: ExitStatus.usage)
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }

        let webhookSetup: (WebhookServer.Settings, Webhooks)?
        do {
            webhookSetup = try webhooks.setup()
        } catch let error as ValidationError {
            Diagnostics.fail(error.message, status: ExitStatus.usage)
        } catch {
            Diagnostics.fail("\(error)", status: ExitStatus.usage)
        }

        let loop: EventLoop
        do {
            loop = try EventLoop.makeDefault()
        } catch {
            Diagnostics.fail("\(error)")
        }
        let client = ClientHost(loop: loop, target: parsed, session: config, tls: tls)
        client.trace = trace
        // SIGHUP (scripts and bots): the password files again, for the next connection; a
        // file that no longer reads keeps what was there. The run goes on either way.
        let urlPassword = parsed.password
        let reloadSecrets = { [passwordFile, login] in
            do {
                var fresh = client.sessionConfig
                fresh.password = passwordFile == nil && urlPassword != nil
                    ? urlPassword : try Secrets.read(file: passwordFile, environment: "RELAY_PASSWORD")
                try login.apply(to: &fresh, tls: tls != nil)
                client.sessionConfig = fresh
                Diagnostics.info("SIGHUP: read the password files again (used from the next connection); still running")
            } catch {
                Diagnostics.warn("SIGHUP: \(error); keeping the previous settings and running on")
            }
        }
        let status: Int32
        do {
            if interactive {
                status = try ChatUI(loop: loop, client: client, timeout: .seconds(timeout)).run()
            } else if isBot {
                var options = BotRunner.Options()
                options.exec = bot.exec
                options.listen = bot.listen
                if let (settings, policy) = webhookSetup {
                    options.http = settings
                    options.webhooks = policy
                }
                options.timeout = .seconds(timeout)
                options.verbose = verbose
                options.format = json ? .json : .text
                options.reload = reloadSecrets
                let core = BotCore(config: bot.config(server: parsed.address, rooms: rooms, json: json))
                status = try BotRunner(loop: loop, client: client, core: core, options: options).run()
            } else {
                var options = ScriptRunner.Options()
                options.texts = texts
                options.readStdin = texts.isEmpty
                options.notice = notice
                options.noJoin = noJoin
                options.stay = stay
                options.printIncoming = stay || json || verbose
                options.format = json ? .json : .text
                options.timeout = .seconds(timeout)
                options.reload = reloadSecrets
                status = try ScriptRunner(loop: loop, client: client, rooms: rooms, options: options).run()
            }
        } catch {
            Diagnostics.fail("\(error)")
        }
        Glibc.exit(status)
    }

    /// `relay connect unix:PATH --join ROOM --send TEXT`: through a bot's announce socket.
    private func postThroughSocket(path: String) -> Never {
        let rooms = joins.compactMap { $0.split(separator: " ").first.map { ClientTarget.roomName(String($0)) } }
        guard !rooms.isEmpty else {
            Diagnostics.fail("name the room to post to with --join (unix:PATH has no room)", status: ExitStatus.usage)
        }
        do {
            let loop = try EventLoop.makeDefault()
            let poster = AnnouncePoster(loop: loop, path: path, rooms: rooms, texts: texts, readStdin: texts.isEmpty,
                                        timeout: .seconds(timeout))
            Glibc.exit(try poster.run())
        } catch {
            Diagnostics.fail("\(error)")
        }
    }

    /// The login name as a valid nick: cron has no USER or HOME, so ask the password database.
    static func loginNick() -> String {
        var name = ""
        if let entry = getpwuid(getuid()), let raw = entry.pointee.pw_name { name = String(cString: raw) }
        if name.isEmpty, let user = getenv("USER") { name = String(cString: user) }
        var nick = String(name.map { Names.isValidNick("a\($0)", maxLength: 30) ? $0 : "_" }.prefix(30))
        if let first = nick.first, !Names.isValidNick(String(first), maxLength: 30) { nick = "u" + nick.prefix(29) }
        return nick.isEmpty ? "relay" : nick
    }
}
