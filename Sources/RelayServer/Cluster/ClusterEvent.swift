import RelayIRC

/// One event between the nodes of a cluster: an IRC line whose tags say which
/// node and which of its users it is about, `@n=NODE;u=UID COMMAND params`.
/// Events about rooms' state and people go to every node (`control`); what is
/// said in a room only to the nodes with members there (`room`), and a private
/// message to its recipient's node (`node`).
public struct ClusterEvent: Equatable, Sendable {
    public enum Route: Hashable, Sendable {
        case control
        /// A room, by folded name.
        case room(String)
        /// A node, by id.
        case node(String)
    }

    public let route: Route
    public let line: [UInt8]

    /// The longest event, tags aside: a plain user's line may be longer than
    /// IRC's 510 bytes (IRC readers get it cut, plain readers whole, on every node).
    public static let maxLength = 16_384

    public init(route: Route, line: [UInt8]) {
        self.route = route
        self.line = line
    }

    /// The Redis channel an event travels on.
    public static func channel(_ route: Route) -> String {
        switch route {
        case .control: return "relay:control"
        case .room(let folded): return "relay:room:" + folded
        case .node(let id): return "relay:node:" + id
        }
    }

    /// A new node's id: "n" and 40 random bits in base 36 (a restarted node is
    /// a new node; its old users are gone). Short, as it ends a renamed
    /// user's nick ("nID-UID").
    public static func makeNodeID(random: UInt64) -> String {
        "n" + String(random & 0xFF_FFFF_FFFF, radix: 36)
    }

    /// Node ids are what `makeNodeID` makes: they become Redis channel names and nicks.
    public static func isValidNodeID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 16 && id.utf8.first.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } == true
            && id.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }
}
