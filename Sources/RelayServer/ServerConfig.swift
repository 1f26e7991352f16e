/// Everything `relay serve` can be told, with the documented defaults.
public struct ServerConfig: Sendable {
    /// The server name: the source of numerics, shown in 002/004.
    public var name = "relay"
    public var network = "relay"
    public var version = "relay-0.1.0"
    /// Where plain users start; nil for nowhere (they are told how to join a room).
    /// It always exists, even empty, and keeps its history.
    public var defaultRoom: String? = "#lobby"
    /// Chat lines per room replayed to a plain user on join.
    public var historyLength = 20
    /// Silence after connecting that makes a connection a plain user.
    public var plainAfter: Duration = .seconds(1)
    /// A first line that looks like IRC registration must be followed by more IRC
    /// (or finish registering) within this, or the connection is a plain user after all.
    public var ircTrial: Duration = .seconds(2)
    /// A connection must finish registering within this: the TLS handshake, the
    /// password a plain user is asked for, or IRC registration.
    public var registrationTimeout: Duration = .seconds(60)
    /// Silence after which an IRC client is PINGed; as long again without an answer drops it.
    public var pingInterval: Duration = .seconds(60)
    /// Flood control: lines a client may send at once, then `floodRate` per second.
    /// A rate of 0 turns flood control off.
    public var floodBurst = 10
    public var floodRate = 2.0
    /// Unprocessed input a flooding client may have queued before "Excess Flood":
    /// each line's bytes plus two, so a flood of empty lines counts too.
    public var floodQueueLimit = 64 * 1024
    /// Tokens a command that walks every user or room costs (WHO, LIST, bare
    /// NAMES, WHOIS with a mask); at most `floodBurst`.
    public var expensiveCommandCost = 4
    public var maxClients = 10_000
    /// Connections from one address (an IPv6 /64 counts as one); 0 for no limit.
    public var maxPerIP = 10
    /// Loopback connections are not counted against `maxPerIP` (a local bouncer,
    /// tests, nc on the same machine); an operator who sets the limit explicitly counts them too.
    public var maxPerIPExemptsLoopback = true
    public var nickLength = 30
    public var channelLength = 50
    public var topicLength = 390
    public var kickLength = 390
    public var awayLength = 200
    /// A realname (USER's last parameter) is cut to this many bytes: WHO matches masks against it.
    public var realnameLength = 100
    /// A WHO mask, or a ban, exception or invite mask, longer than this matches nothing / is refused.
    public var maskLength = 100
    public var channelsPerUser = 50
    /// Targets one PRIVMSG/NOTICE may name.
    public var maxTargets = 4
    /// Entries per list mode (b, e, I) of one room.
    public var maxListEntries = 100
    /// IRCv3 STS: how long (seconds) clients should use TLS only; nil: not advertised.
    public var stsDuration: Int?
    /// The TLS port STS points plain connections to; set by the host once it
    /// listens (nil: no TLS port, so no STS).
    public var stsPort: Int?
    /// Nicks one client may MONITOR.
    public var monitorLimit = 100
    /// The most lines one CHATHISTORY request returns.
    public var chathistoryLimit = 100
    /// Departed nicks WHOWAS remembers.
    public var whowasLength = 100
    /// The connection password (PASS for IRC, the first line for plain users).
    public var password: String?
    /// Operator names and their passwords (OPER).
    public var operators: [String: String] = [:]
    /// The message of the day; nil for none (422).
    public var motd: [String]?

    public init() {}
}
