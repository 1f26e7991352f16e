import DequeModule
import RelayIRC

/// A line of a room's history, kept so late joiners can read back.
/// Plain users read it back on joining; IRCv3 clients play it back
/// (draft/chathistory) and refer to it by msgid (draft/message-redaction).
struct HistoryLine {
    let text: String
    let isAction: Bool
    /// The sender's "nick!user@host" when it was said.
    let source: String
    /// The connection that said it: who may take it back.
    let sender: ClientID
    let millis: Int64
    let msgid: UInt64
    let account: String?
    let bot: Bool

    /// The sender's nick then, from `source`.
    var nick: Substring { source.prefix { $0 != "!" } }
}

struct Topic {
    var text: String
    var setBy: String
    var setAt: Int64
}

struct Ban {
    let mask: String
    let setBy: String
    let setAt: Int64
}

/// A room's modes (IRC channel modes).
struct RoomModes {
    var inviteOnly = false      // +i
    var moderated = false       // +m
    var noExternal = true       // +n
    var secret = false          // +s
    var topicProtected = true   // +t
    var key: String?            // +k
    var limit: Int?             // +l
    var bans: [Ban] = []        // +b (and m: extbans: muted, not kept out)
    var exceptions: [Ban] = []  // +e: exempt from +b
    var inviteExceptions: [Ban] = []  // +I: may join +i without an invite
    var noCTCP = false          // +C: no CTCP but ACTION

    /// "+nt", with the key and limit when `withParameters` (members only see the key).
    func string(withParameters: Bool) -> [String] {
        var flags = "+"
        var params: [String] = []
        if noCTCP { flags += "C" }
        if inviteOnly { flags += "i" }
        if key != nil { flags += "k" }
        if limit != nil { flags += "l" }
        if moderated { flags += "m" }
        if noExternal { flags += "n" }
        if secret { flags += "s" }
        if topicProtected { flags += "t" }
        if let key { params.append(withParameters ? key : "*") }
        if let limit { params.append(String(limit)) }
        return [flags] + params
    }
}

/// A room (an IRC channel).
final class Room {
    let name: String
    let folded: String
    let createdAt: Int64
    /// Members in joining order; `operators` and `voiced` hold their ids.
    private(set) var members: [User] = []
    /// Members on this node (in a cluster, the others are proxies with negative ids).
    private(set) var localMembers = 0
    var operators: Set<ClientID> = []
    var voiced: Set<ClientID> = []
    var topic: Topic?
    var modes = RoomModes()
    /// Users invited past +i, by id, until they join.
    var invited: Set<ClientID> = []
    private(set) var history = Deque<HistoryLine>()
    let historyLimit: Int

    init(name: String, createdAt: Int64, historyLimit: Int) {
        self.name = name
        self.folded = Casemapping.fold(name)
        self.createdAt = createdAt
        self.historyLimit = historyLimit
    }

    /// Calls `body` with each member, as `for member in members` would, minus
    /// the retain and release per member that such a loop pays around every
    /// call the compiler cannot see into (a member's `send`): 17 % of the CPU of
    /// a saturated room in `perf`. Safe because `snapshot`, held for the whole
    /// loop, keeps every member it lists alive, whatever `body` does to the room
    /// (a change to `members` copies it first).
    @inline(__always)
    func forEachMember(_ body: (User) -> Void) {
        let snapshot = members
        snapshot.withUnsafeBufferPointer { buffer in
            for index in buffer.indices {
                Unmanaged.passUnretained(buffer[index])._withUnsafeGuaranteedRef(body)
            }
        }
    }

    func isOperator(_ user: User) -> Bool { operators.contains(user.id) }

    func canSpeak(_ user: User) -> Bool { operators.contains(user.id) || voiced.contains(user.id) }

    /// Kept out by a +b that no +e exempts (m: extbans mute; they do not keep out).
    func isBanned(_ user: User) -> Bool {
        !modes.bans.isEmpty && modes.bans.contains { !$0.mask.hasPrefix("m:") && Names.matches(mask: $0.mask, user.prefix) }
            && !isExempt(user)
    }

    /// Muted by an `m:` extban that no +e exempts.
    func isMuted(_ user: User) -> Bool {
        !modes.bans.isEmpty && modes.bans.contains { $0.mask.hasPrefix("m:") && Names.matches(mask: String($0.mask.dropFirst(2)), user.prefix) }
            && !isExempt(user)
    }

    func isExempt(_ user: User) -> Bool {
        modes.exceptions.contains { Names.matches(mask: $0.mask, user.prefix) }
    }

    /// Let past +i by a +I entry.
    func isInviteException(_ user: User) -> Bool {
        modes.inviteExceptions.contains { Names.matches(mask: $0.mask, user.prefix) }
    }

    func contains(_ user: User) -> Bool {
        user.rooms.contains { $0 === self }
    }

    func add(_ user: User) {
        members.append(user)
        if user.id >= 0 { localMembers += 1 }
    }

    func remove(_ user: User) {
        let before = members.count
        members.removeAll { $0 === user }
        if user.id >= 0 && members.count < before { localMembers -= 1 }
        operators.remove(user.id)
        voiced.remove(user.id)
    }

    /// draft/message-redaction: the line is gone from what late joiners read.
    @discardableResult
    func forget(msgid: UInt64) -> HistoryLine? {
        guard let index = history.firstIndex(where: { $0.msgid == msgid }) else { return nil }
        return history.remove(at: index)
    }

    func remember(_ line: HistoryLine) {
        guard historyLimit > 0 else { return }
        if history.count == historyLimit { history.removeFirst() }
        history.append(line)
    }

    /// Lines said before any kept here (a cluster's shared history): in front,
    /// as many as the limit leaves room for, the newest of them.
    func rememberEarlier(_ lines: [HistoryLine]) {
        let room = historyLimit - history.count
        guard room > 0 else { return }
        history.insert(contentsOf: lines.suffix(room), at: 0)
    }

    /// "@nick" for operators, "+nick" for voiced users, else the nick;
    /// with `allPrefixes` (multi-prefix) "@+nick" for both.
    func decoratedNick(_ user: User, allPrefixes: Bool = false) -> String {
        prefixes(of: user, all: allPrefixes) + user.nick
    }

    func prefixes(of user: User, all: Bool = false) -> String {
        let op = operators.contains(user.id), voice = voiced.contains(user.id)
        if op && voice && all { return "@+" }
        if op { return "@" }
        if voice { return "+" }
        return ""
    }
}
