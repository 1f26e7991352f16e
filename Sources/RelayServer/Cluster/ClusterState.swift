import RelayIRC

/// What a node of a cluster keeps beyond its own users (see `ChatServer+Cluster`).
final class ClusterState {
    /// This node's id (`ClusterEvent.makeNodeID`) and how long a silent node is trusted.
    let nodeID: String
    let ttl: Duration
    /// Each remote user is a proxy `User` here, with a negative id: in the
    /// rooms, the nick space, WHO, NAMES, MONITOR, like anyone; what the core
    /// sends it goes nowhere (its own node tells it). By "node/uid", and back.
    var proxies: [String: ClientID] = [:]
    var homes: [ClientID: (node: String, uid: Int)] = [:]
    /// From -2: -1 is the sender of history lines read back from disk.
    var nextProxyID: ClientID = -2
    /// When each user took their nick (wall-clock ms): of two users on two
    /// nodes with one nick, the older claim keeps it (then the lower node id),
    /// on every node alike, whatever order the events came in.
    var claimedAt: [ClientID: Int64] = [:]
    /// Other nodes: their server name and when they were last heard from.
    var peers: [String: (name: String, lastSeen: ContinuousClock.Instant)] = [:]
    /// What to publish, in order; the host takes it after each call.
    var outbox: [ClusterEvent] = []
    /// Rooms whose local membership may have changed, and the rooms this node
    /// listens to (those with local members).
    var touchedRooms: Set<String> = []
    var subscribed: Set<String> = []
    /// Rooms whose shared history was asked of Redis (their first local member
    /// just joined), with the plain users who joined since: they get the
    /// recent lines when it comes. And the rooms to ask about, for the host.
    var historyAwaited: [String: [ClientID]] = [:]
    var historyToFetch: [String] = []
    /// Lines said here, for the room's shared history in Redis.
    var historyToStore: [(room: String, line: [UInt8])] = []
    /// Snapshots sent in answer to HELLOs: 5 at once, then one a second; a
    /// HELLO past that is owed one, sent with the next beat.
    var snapshotBudget: TokenBucket
    var snapshotOwed = false
    /// Redis is reachable: events go out. While not, nothing is queued: the
    /// snapshot sent when the link is back says it all.
    var linked = false

    /// How this node's events begin ("@n=ID;" or "@n=ID "): `n` sorts first among the tags.
    private let ownTag: [UInt8]

    func isOwn(_ line: ArraySlice<UInt8>) -> Bool {
        guard line.count > ownTag.count, line.starts(with: ownTag) else { return false }
        let next = line[line.startIndex + ownTag.count]
        return next == UInt8(ascii: ";") || next == UInt8(ascii: " ")
    }

    init(nodeID: String, ttl: Duration, now: ContinuousClock.Instant) {
        self.nodeID = nodeID
        self.ttl = ttl
        self.snapshotBudget = TokenBucket(burst: 5, rate: 1, now: now)
        self.ownTag = Array("@n=\(nodeID)".utf8)
    }

    /// How often a node says it is alive, and how long a silent one is trusted:
    /// a node that dies is given up at most `ttl` after its last beat.
    var beatInterval: Duration { ttl / 4 }
    var silenceLimit: Duration { ttl * 3 / 4 }
}

/// Where a proxy's lines go: nowhere. Its own node delivers to it.
final class ProxyEndpoint: ClientEndpoint {
    static let shared = ProxyEndpoint()
    func send(_ line: [UInt8]) {}
    func close() {}
}
