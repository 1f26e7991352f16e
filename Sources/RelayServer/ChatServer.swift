import HeapModule
import RelayIRC

/// The chat server's state and rules, with no sockets: lines in, lines out.
///
/// The host calls `accept`, `receive`, `connectionLost` and `tick` with the
/// current time, and sends what the core hands to each `ClientEndpoint`. The
/// core returns its next deadline in `nextDeadline`; the host turns it into a
/// loop timer and calls `tick` then.
public final class ChatServer {
    public let config: ServerConfig
    /// Wall-clock seconds since 1970, for topics and creation times.
    let wallClock: () -> Int64
    var users: [ClientID: User] = [:]
    /// Registered users by folded nick.
    var nicks: [String: User] = [:]
    var rooms: [String: Room] = [:]
    private var deadlines = Heap<Deadline>()
    private var guestCounter = 0
    let startedAt: Int64

    private struct Deadline: Comparable {
        let at: ContinuousClock.Instant
        let client: ClientID
        static func < (a: Deadline, b: Deadline) -> Bool { a.at < b.at }
    }

    public init(config: ServerConfig = ServerConfig(), wallClock: @escaping () -> Int64) {
        self.config = config
        self.wallClock = wallClock
        self.startedAt = wallClock()
    }

    public var userCount: Int { users.count }
    public var roomCount: Int { rooms.count }

    // MARK: Connections

    /// A new connection. Over `maxClients` it is refused with a readable line
    /// (also a valid IRC ERROR) and closed.
    public func accept(_ id: ClientID, endpoint: ClientEndpoint, host: String, now: ContinuousClock.Instant) {
        if users.count >= config.maxClients {
            endpoint.send(Message("ERROR", "Closing Link: \(host) (Server is full: \(config.maxClients) clients; try again later)").bytes)
            endpoint.close()
            return
        }
        let deadline = now + config.plainAfter
        users[id] = User(id: id, endpoint: endpoint, host: host, dialect: .undecided(deadline: deadline), now: now)
        schedule(id, at: deadline)
    }

    /// One line from a client, without its line ending.
    public func receive(_ id: ClientID, line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        guard let user = users[id] else { return }
        switch user.dialect {
        case .undecided:
            if let message = try? Message.parse(line), Self.registrationCommands.contains(message.command) {
                user.dialect = .irc
                handleIRC(user, line: line, now: now)
            } else {
                becomePlain(user)
                handlePlain(user, line: line)
            }
        case .plain:
            handlePlain(user, line: line)
        case .irc:
            handleIRC(user, line: line, now: now)
        }
    }

    /// A line over the framer's limit was discarded.
    public func receiveTooLong(_ id: ClientID, length: Int, now: ContinuousClock.Instant) {
        guard let user = users[id] else { return }
        if case .undecided = user.dialect { becomePlain(user) }
        reply(user, .lineTooLong(length))
    }

    /// The connection is gone (EOF, reset, or the host gave up on it).
    public func connectionLost(_ id: ClientID, reason: String) {
        guard let user = users[id] else { return }
        user.gone = true
        remove(user, reason: reason)
    }

    /// Tells everyone the server is going away and closes every connection.
    public func shutdown(reason: String) {
        for user in users.values {
            if user.isIRC {
                user.send(Message("ERROR", "Closing Link: \(user.host) (\(reason))"))
            } else {
                user.send(Plain.info(reason))
            }
            user.endpoint.close()
            user.gone = true
        }
        users.removeAll()
        nicks.removeAll()
        rooms.removeAll()
    }

    // MARK: Time

    public var nextDeadline: ContinuousClock.Instant? {
        deadlines.min?.at
    }

    /// Runs what is due at `now`.
    public func tick(now: ContinuousClock.Instant) {
        while let due = deadlines.min, due.at <= now {
            deadlines.removeMin()
            guard let user = users[due.client] else { continue }
            if case .undecided(let deadline) = user.dialect, deadline <= now {
                becomePlain(user)
            }
        }
    }

    func schedule(_ id: ClientID, at deadline: ContinuousClock.Instant) {
        deadlines.insert(Deadline(at: deadline, client: id))
    }

    // MARK: Lifecycle

    static let registrationCommands: Set<String> = ["CAP", "PASS", "NICK", "USER"]

    /// Makes a connection a plain user: a guest nick, a greeting, the default room.
    func becomePlain(_ user: User) {
        user.dialect = .plain
        let nick = nextGuestNick()
        user.nick = nick
        user.username = nick
        user.realname = nick
        register(user)
        user.send(Plain.info("Welcome to \(config.network), \(nick)! Type to talk, /help for commands."))
        join(user, roomName: config.defaultRoom)
    }

    private func nextGuestNick() -> String {
        while true {
            guestCounter += 1
            let nick = "guest\(guestCounter)"
            if nicks[Casemapping.fold(nick)] == nil { return nick }
        }
    }

    func register(_ user: User) {
        user.registered = true
        nicks[Casemapping.fold(user.nick)] = user
    }

    /// Leaves every room and the nick space; tells everyone who shared a room.
    func remove(_ user: User, reason: String) {
        users[user.id] = nil
        guard user.registered else { return }
        nicks[Casemapping.fold(user.nick)] = nil
        let irc = Message(source: user.prefix, "QUIT", reason).bytes
        let plain = Plain.info("\(user.nick) quit (\(reason))")
        for peer in peers(of: user) {
            peer.send(peer.isIRC ? irc : plain)
        }
        for room in user.rooms {
            room.remove(user)
            dropIfEmpty(room)
        }
        user.rooms.removeAll()
    }

    /// Closes a user's connection from our side, after telling them why.
    func disconnect(_ user: User, reason: String, farewell: String) {
        if user.isIRC {
            user.send(Message("ERROR", "Closing Link: \(user.host) (\(reason))"))
        } else {
            user.send(Plain.info(farewell))
        }
        user.endpoint.close()
        user.gone = true
        remove(user, reason: reason)
    }

    /// Everyone who shares a room with `user`, each once, `user` excluded.
    func peers(of user: User) -> [User] {
        if user.rooms.count == 1 { return user.rooms[0].members.filter { $0 !== user } }
        var seen: Set<ClientID> = [user.id]
        var result: [User] = []
        for room in user.rooms {
            for member in room.members where seen.insert(member.id).inserted {
                result.append(member)
            }
        }
        return result
    }

    func dropIfEmpty(_ room: Room) {
        // The default room stays, with its history, for the next person to arrive.
        if room.members.isEmpty && room.folded != Casemapping.fold(config.defaultRoom) {
            rooms[room.folded] = nil
        }
    }

    // MARK: Replies

    func reply(_ user: User, _ error: ChatError) {
        if user.isIRC {
            if let (code, params) = error.numeric {
                user.send(Message(source: config.name, command: code, params: [user.nick] + params))
            } else {
                user.send(Message(source: config.name, "NOTICE", user.nick, error.text))
            }
        } else {
            user.send(Plain.info(error.text))
        }
    }

    func numeric(_ user: User, _ code: String, _ params: String...) {
        user.send(Message(source: config.name, command: code, params: [user.nick] + params))
    }
}
