import ArgumentParser
import RelayClient
import RelayIRC

/// `relay connect`'s bot options: scripts attached to a connection.
struct BotOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Run CMD under /bin/sh -c for the life of relay: every event is a line on its stdin, every line it prints a message.",
        valueName: "cmd"))
    var exec: String?

    @Option(name: .customLong("on"), help: ArgumentHelp(
        "PREFIX=CMD: a message whose first word is PREFIX runs CMD; its output is the reply (repeatable).",
        valueName: "prefix=cmd"))
    var handlers: [String] = []

    @Option(help: ArgumentHelp("A Unix socket where local jobs post '#room text' lines and read 'ok'.", valueName: "path"))
    var listen: String?

    @Option(name: .customLong("allow"), help: ArgumentHelp(
        "Only this nick (a mask), or account:NAME where the server tags accounts, may trigger handlers and reach --exec (repeatable; default: everyone).", valueName: "nick"))
    var allowNicks: [String] = []

    @Option(name: .customLong("allow-room"), help: ArgumentHelp(
        "Only messages in this room may trigger (repeatable; default: every room, and private messages).", valueName: "room"))
    var allowRooms: [String] = []

    @Flag(help: "Let --exec send raw protocol lines ('/raw LINE', or {\"raw\": ...} with --json).")
    var allowRaw = false

    @Option(help: "Handlers running at once; more wait in a queue of 64.")
    var maxHandlers = 4

    @Option(help: "Seconds a handler may run before its process group is killed.")
    var handlerTimeout = 10

    @Option(help: "Reply lines kept from a handler; the rest become '… (N more lines)'.")
    var maxReplyLines = 5

    @Option(help: "Seconds one nick must wait between two triggers.")
    var cooldown = 2.0

    var isBot: Bool { exec != nil || !handlers.isEmpty || listen != nil }

    func validate() throws {
        try Limits.check("--max-handlers", maxHandlers, 1...64)
        try Limits.check("--handler-timeout", handlerTimeout, 1...3_600)
        try Limits.check("--max-reply-lines", maxReplyLines, 1...100)
        guard (0...3_600).contains(cooldown) else { throw ValidationError("--cooldown must be 0 to 3600 (got \(cooldown))") }
        for handler in handlers {
            do { _ = try BotHandler.parse(handler) } catch { throw ValidationError("\(error)") }
        }
        if let exec, !exec.contains(where: { $0 != " " }) { throw ValidationError("--exec needs a command") }
    }

    /// The core's configuration; `rooms` are the rooms the bot joins.
    func config(server: String, rooms: [String], json: Bool) -> BotConfig {
        var config = BotConfig()
        config.handlers = handlers.compactMap { try? BotHandler.parse($0) }
        config.allowNicks = allowNicks
        config.allowRooms = allowRooms.map(ClientTarget.roomName)
        config.cooldown = .milliseconds(Int64((cooldown * 1000).rounded()))
        config.maxHandlers = maxHandlers
        config.handlerTimeout = .seconds(handlerTimeout)
        config.maxReplyLines = maxReplyLines
        config.coprocess = exec != nil
        config.json = json
        config.allowRaw = allowRaw
        config.server = server
        config.defaultRoom = rooms.first
        return config
    }
}
