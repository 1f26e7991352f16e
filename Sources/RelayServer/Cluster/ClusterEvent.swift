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

    /// A new node's id: a letter, then the process's start time and pid in
    /// base 36 (unique across nodes that start on one machine, and valid as
    /// the end of a nick: a renamed user is "nID-UID").
    public static func makeNodeID(millis: Int64, pid: Int32) -> String {
        "n" + String(UInt64(max(0, millis)) % 2_176_782_336, radix: 36) + String(UInt32(bitPattern: pid) % 46_656, radix: 36)
    }

    /// Node ids are what `makeNodeID` makes: they become Redis channel names and nicks.
    public static func isValidNodeID(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 16 && id.utf8.first.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") } == true
            && id.utf8.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
    }
}
