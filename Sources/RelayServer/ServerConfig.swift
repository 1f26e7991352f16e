/// Everything `relay serve` can be told, with the documented defaults.
public struct ServerConfig: Sendable {
    /// The server name: the source of numerics, shown in 002/004.
    public var name = "relay"
    public var network = "relay"
    public var version = "relay-0.1"
    public var defaultRoom = "#lobby"
    /// Chat lines per room replayed to a plain user on join.
    public var historyLength = 20
    /// Silence after connecting that makes a connection a plain user.
    public var plainAfter: Duration = .seconds(1)
    public var maxClients = 10_000
    public var nickLength = 30
    public var channelLength = 50
    public var topicLength = 390
    public var kickLength = 390
    public var awayLength = 200
    public var channelsPerUser = 50
    public var maxPerIP = 0  // 0: no limit

    public init() {}
}
