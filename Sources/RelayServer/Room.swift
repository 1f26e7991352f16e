import DequeModule
import RelayIRC

/// A line of a room's history, kept so late joiners can read back.
struct HistoryLine {
    let nick: String
    let text: String
    let isAction: Bool
}

struct Topic {
    var text: String
    var setBy: String
    var setAt: Int64
}

/// A room (an IRC channel).
final class Room {
    let name: String
    let folded: String
    let createdAt: Int64
    /// Members in joining order; `operators` and `voiced` hold their ids.
    private(set) var members: [User] = []
    var operators: Set<ClientID> = []
    var voiced: Set<ClientID> = []
    var topic: Topic?
    private(set) var history = Deque<HistoryLine>()
    let historyLimit: Int

    init(name: String, createdAt: Int64, historyLimit: Int) {
        self.name = name
        self.folded = Casemapping.fold(name)
        self.createdAt = createdAt
        self.historyLimit = historyLimit
    }

    func contains(_ user: User) -> Bool {
        user.rooms.contains { $0 === self }
    }

    func add(_ user: User) {
        members.append(user)
    }

    func remove(_ user: User) {
        members.removeAll { $0 === user }
        operators.remove(user.id)
        voiced.remove(user.id)
    }

    func remember(_ line: HistoryLine) {
        guard historyLimit > 0 else { return }
        if history.count == historyLimit { history.removeFirst() }
        history.append(line)
    }

    /// "@nick" for operators, "+nick" for voiced users, else the nick.
    func decoratedNick(_ user: User) -> String {
        if operators.contains(user.id) { return "@" + user.nick }
        if voiced.contains(user.id) { return "+" + user.nick }
        return user.nick
    }
}
