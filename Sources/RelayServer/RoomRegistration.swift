import RelayIRC

/// A registered room as it outlives the process: founder, topic, modes and lists.
public struct ChannelRecord: Equatable, Sendable {
    public struct Mask: Equatable, Sendable {
        /// "b", "e" or "I".
        public var list: String
        public var mask: String
        public var setBy: String
        public var setAt: Int64

        public init(list: String, mask: String, setBy: String, setAt: Int64) {
            self.list = list
            self.mask = mask
            self.setBy = setBy
            self.setAt = setAt
        }
    }

    public var name: String
    /// The account that registered it.
    public var founder: String
    public var topic: String?
    public var topicSetBy: String?
    public var topicSetAt: Int64 = 0
    /// The flag modes' letters ("Cimnst").
    public var flags: String
    public var key: String?
    public var limit: Int?
    public var masks: [Mask] = []

    public init(name: String, founder: String, flags: String) {
        self.name = name
        self.founder = founder
        self.flags = flags
    }
}

/// ChanServ: a room's operator who is logged in registers it (`REGISTER
/// #room`); from then on its topic, modes, key and lists are written to disk
/// whenever they change, come back when the room comes into being again (a
/// restart, or the first join after everyone left), and its founder gets
/// operator status on joining. `DROP #room` (the founder) ends it; `INFO #room`.
extension ChatServer {
    static let chanServ = "ChanServ"

    func chanServ(_ user: User, _ text: String) {
        let words = text.split(separator: " ").map(String.init)
        func say(_ reply: String) { serviceNotice(user, reply, from: Self.chanServ) }
        guard accountsEnabled else { return say("This server keeps no registrations (relay serve --data DIR)") }
        guard words.count >= 2, let command = words.first?.uppercased(), ["REGISTER", "DROP", "INFO"].contains(command) else {
            return say("Commands: REGISTER #room (its operator, logged in), DROP #room (its founder), INFO #room")
        }
        let name = Names.isChannel(words[1]) ? words[1] : "#" + words[1]
        let folded = Casemapping.fold(name)
        switch command {
        case "INFO":
            guard let record = registeredRooms[folded] else { return say("\(name) is not registered") }
            say("\(record.name) is registered to \(record.founder)")
        case "REGISTER":
            guard let account = user.account else { return say("Log in first (NickServ IDENTIFY, or /login)") }
            guard let room = rooms[folded], room.isOperator(user) else { return say("Only an operator of \(name) can register it") }
            guard registeredRooms[folded] == nil else { return say("\(room.name) is registered already") }
            registeredRooms[folded] = ChannelRecord(name: room.name, founder: account, flags: "")
            persist(room, force: true)
            log(.info, "room-registered", [("room", room.name), ("founder", account)])
            say("\(room.name) is registered to \(account)")
        default:  // DROP
            guard let record = registeredRooms[folded] else { return say("\(name) is not registered") }
            guard let account = user.account, Casemapping.equal(account, record.founder) || user.isOperator else {
                return say("Only \(record.founder), its founder, can drop \(record.name)")
            }
            registeredRooms[folded] = nil
            stateChanges.append(.unregistered(room: folded))
            say("\(record.name) is no longer registered")
        }
    }

    /// A registered room's state to disk (after a TOPIC or MODE that changed it).
    func persist(_ room: Room, force: Bool = false) {
        guard var record = registeredRooms[room.folded] else { return }
        record.topic = room.topic?.text
        record.topicSetBy = room.topic?.setBy
        record.topicSetAt = room.topic?.setAt ?? 0
        record.flags = String(room.modes.string(withParameters: false)[0].dropFirst().filter { $0 != "k" && $0 != "l" })
        record.key = room.modes.key
        record.limit = room.modes.limit
        record.masks = room.modes.bans.map { ChannelRecord.Mask(list: "b", mask: $0.mask, setBy: $0.setBy, setAt: $0.setAt) }
            + room.modes.exceptions.map { ChannelRecord.Mask(list: "e", mask: $0.mask, setBy: $0.setBy, setAt: $0.setAt) }
            + room.modes.inviteExceptions.map { ChannelRecord.Mask(list: "I", mask: $0.mask, setBy: $0.setBy, setAt: $0.setAt) }
        guard force || record != registeredRooms[room.folded] else { return }
        registeredRooms[room.folded] = record
        stateChanges.append(.channel(record))
    }

    /// A registered room coming into being: its topic, modes and lists as they were.
    func restoreRegistration(of room: Room) {
        guard let record = registeredRooms[room.folded] else { return }
        if let text = record.topic { room.topic = Topic(text: text, setBy: record.topicSetBy ?? record.founder, setAt: record.topicSetAt) }
        var modes = RoomModes()
        modes.noExternal = record.flags.contains("n")
        modes.topicProtected = record.flags.contains("t")
        modes.inviteOnly = record.flags.contains("i")
        modes.moderated = record.flags.contains("m")
        modes.secret = record.flags.contains("s")
        modes.noCTCP = record.flags.contains("C")
        modes.key = record.key
        modes.limit = record.limit
        for entry in record.masks {
            let ban = Ban(mask: entry.mask, setBy: entry.setBy, setAt: entry.setAt)
            switch entry.list {
            case "b": modes.bans.append(ban)
            case "e": modes.exceptions.append(ban)
            default: modes.inviteExceptions.append(ban)
            }
        }
        room.modes = modes
    }

    /// Whether `user` joining `room` gets operator status: the founder of a
    /// registered room (logged in), else whoever opens an unregistered one.
    func opensAsOperator(_ user: User, _ room: Room, isLobby: Bool) -> Bool {
        if let record = registeredRooms[room.folded] {
            return user.account.map { Casemapping.equal($0, record.founder) } ?? false
        }
        return room.members.isEmpty && !isLobby
    }
}
