import RelayIRC

/// `--on 'PREFIX=CMD'`: a message whose first word is PREFIX runs CMD.
public struct BotHandler: Equatable, Sendable {
    public let prefix: String
    public let command: String

    public init(prefix: String, command: String) {
        self.prefix = prefix
        self.command = command
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// "!uptime=uptime": the prefix is everything before the first "=".
    public static func parse(_ text: String) throws(ParseError) -> BotHandler {
        guard let equals = text.firstIndex(of: "=") else {
            throw ParseError(description: "--on \(text): expected PREFIX=COMMAND, e.g. '!uptime=uptime'")
        }
        let prefix = String(text[..<equals]), command = String(text[text.index(after: equals)...])
        guard !prefix.isEmpty, !prefix.contains(" ") else {
            throw ParseError(description: "--on \(text): the prefix must be one word, e.g. !uptime")
        }
        guard command.contains(where: { $0 != " " }) else { throw ParseError(description: "--on \(text): no command") }
        return BotHandler(prefix: prefix, command: command)
    }
}

/// How a bot behaves: who may trigger it, what runs, and every bound.
public struct BotConfig: Sendable {
    public var handlers: [BotHandler] = []
    /// Nick masks allowed to trigger handlers and reach the coprocess; empty: everyone.
    public var allowNicks: [String] = []
    /// Rooms whose messages may trigger; empty: every room the bot is in (and private messages).
    public var allowRooms: [String] = []
    /// One nick, or one host whatever its nick, may trigger a handler at most once per `cooldown`.
    public var cooldown: Duration = .seconds(2)
    /// Triggers from everyone together: `triggerBurst` at once, then `triggerRate` per second.
    public var triggerBurst = 10
    public var triggerRate = 1.0
    public var maxHandlers = 4
    /// Triggers waiting for a free handler slot; past it, "busy, try later".
    public var handlerQueueLimit = 64
    public var handlerTimeout: Duration = .seconds(10)
    public var maxReplyLines = 5
    /// A coprocess (`--exec`) gets every event and its lines are messages.
    public var coprocess = false
    /// The coprocess speaks JSON Lines instead of the text format.
    public var json = false
    /// Raw protocol lines from the coprocess are sent (else refused).
    public var allowRaw = false
    /// RELAY_SERVER for handlers: "host:port".
    public var server = ""
    /// Where a coprocess line goes before any event named a conversation.
    public var defaultRoom: String?

    // The bounds a bot keeps whatever its scripts do.
    /// Lines waiting for the pacer past which a handler's reply is dropped and
    /// the coprocess is read no further (until the backlog halves).
    public var replyBacklogLimit = 200
    /// Events buffered for a coprocess that does not read its stdin (then dropped, counted).
    public var coprocessInputLimit = 1 << 20
    /// The input buffered for one handler run.
    public var handlerInputLimit = 64 * 1024

    /// Stopping: the coprocess's stdin is closed, it gets `coprocessGrace`,
    /// then SIGTERM, then SIGKILL `killGrace` later; a running handler gets
    /// `handlerGrace` between SIGTERM and SIGKILL; the whole stop is bounded by `stopBound`.
    public var coprocessGrace: Duration = .seconds(2)
    public var killGrace: Duration = .seconds(1)
    public var handlerGrace: Duration = .milliseconds(500)
    public var stopBound: Duration = .seconds(4)

    public init() {}
}
