import RelayIRC

/// How a client speaks TLS to one server: what it trusts and what it presents.
public struct TLSSettings: Equatable, Sendable {
    /// Trust these CAs (PEM) instead of the system's store.
    public var caFile: String?
    /// Do not verify the server's certificate.
    public var insecure = false
    /// A client certificate (and its key; default: the certificate's file).
    public var clientCert: String?
    public var clientKey: String?

    public init(caFile: String? = nil, insecure: Bool = false, clientCert: String? = nil, clientKey: String? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.clientCert = clientCert
        self.clientKey = clientKey
    }
}

/// One network a bridge connects to, once, whatever number of rooms it bridges there.
public struct BridgeNetwork: Equatable, Sendable {
    /// Its name in the config file (or its address on the command line).
    public var name: String
    public var host: String
    public var port: Int
    public var nick: String
    /// Sent to this network only.
    public var password: String?
    public var rate: Double
    /// How `{network}` reads in relayed lines.
    public var label: String
    /// Room keys, by folded room name.
    public var keys: [String: String]
    /// TLS to this network (ircs://, or `tls = true`); nil for plain.
    public var tls: TLSSettings?
    /// A SASL login on this network.
    public var sasl: SASLLogin?
    /// A plain line-chat server (tcp://, `plain = true`), not IRC: the name of its one room here.
    public var plainRoom: String?

    public init(name: String, host: String, port: Int = ClientTarget.defaultPort, nick: String, password: String? = nil,
                rate: Double = 1, label: String? = nil, keys: [String: String] = [:]) {
        self.name = name
        self.host = host
        self.port = port
        self.nick = nick
        self.password = password
        self.rate = rate
        self.label = label ?? name
        self.keys = keys
    }

    /// Whether a change from `other` can keep the connection (only labels and keys changed).
    public func keepsConnection(of other: BridgeNetwork) -> Bool {
        host == other.host && port == other.port && nick == other.nick && password == other.password && rate == other.rate
            && tls == other.tls && sasl == other.sasl && plainRoom == other.plainRoom
    }
}

/// Everything a bridge relays: its networks and its groups (whose members name
/// networks by their index in `networks`).
public struct BridgeSetup: Equatable, Sendable {
    public var networks: [BridgeNetwork]
    public var groups: [BridgeGroup]

    public init(networks: [BridgeNetwork], groups: [BridgeGroup]) {
        self.networks = networks
        self.groups = groups
    }

    /// What a reload changes, by network name: connections to open, to close,
    /// and to open again (host, port, nick, password, rate, TLS or SASL changed). Every other
    /// network keeps its connection; only its rooms may change.
    public struct Changes: Equatable, Sendable {
        public var added: [String] = []
        public var removed: [String] = []
        public var reconnected: [String] = []
        public var kept: [String] = []
    }

    public func changes(to new: BridgeSetup) -> Changes {
        var changes = Changes()
        for network in new.networks {
            guard let old = networks.first(where: { $0.name == network.name }) else {
                changes.added.append(network.name)
                continue
            }
            if network.keepsConnection(of: old) { changes.kept.append(network.name) } else { changes.reconnected.append(network.name) }
        }
        changes.removed = networks.map(\.name).filter { name in !new.networks.contains { $0.name == name } }
        return changes
    }

    /// Rooms to join and to part when a network's rooms go from `old` to `new`.
    public static func roomChanges(from old: [String], to new: [String]) -> (join: [String], part: [String]) {
        (new.filter { room in !old.contains { Casemapping.equal($0, room) } },
         old.filter { room in !new.contains { Casemapping.equal($0, room) } })
    }
}
