import DequeModule
import HeapModule
import RelayIRC

/// The chat server's state and rules, with no sockets: lines in, lines out.
///
/// The host calls `accept`, `receive`, `connectionLost` and `tick` with the
/// current time, and sends what the core hands to each `ClientEndpoint`. The
/// core returns its next deadline in `nextDeadline`; the host turns it into a
/// loop timer and calls `tick` then.
public final class ChatServer {
    /// The settings; `reloadFiles` changes the MOTD and password while running.
    public private(set) var config: ServerConfig
    /// Wall-clock seconds since 1970, for topics, creation and signon times.
    let wallClock: () -> Int64
    var users: [ClientID: User] = [:]
    /// Registered users by folded nick.
    var nicks: [String: User] = [:]
    var rooms: [String: Room] = [:]
    /// Nicks that left, newest last, for WHOWAS.
    var whowas = Deque<(nick: String, username: String, host: String, realname: String)>()
    /// Connections per address, for --max-per-ip.
    private var connectionsPerHost: [String: Int] = [:]
    private var deadlines = Heap<Deadline>()
    private var guestCounter = 0
    /// LUSERS counters, kept up to date as they change (no scan per registration).
    var maxRegisteredSeen = 0
    var invisibleCount = 0
    var operatorCount = 0
    let startedAt: Int64
    /// Wall-clock milliseconds, for server-time and chathistory.
    let wallClockMillis: () -> Int64
    /// msgids are this server run's start time and a counter, both in base 36:
    /// unique across restarts without a random source.
    let msgidPrefix: String
    var messageCounter: UInt64 = 0
    /// Room history on disk (`--data`), and what changed since the host last wrote.
    let persistence: PersistentHistory?
    var stateChanges: [StateChange] = []
    /// Accounts by folded name (few: all in memory), and the password jobs in flight.
    var accounts: [String: AccountRecord] = [:]
    var pendingLogins: [Int: PendingLogin] = [:]
    var passwordJobs: [PasswordJob] = []
    var passwordJobCounter = 0
    /// Registered rooms by folded name (ChanServ).
    var registeredRooms: [String: ChannelRecord] = [:]
    var batchCounter: UInt64 = 0
    /// MONITOR: who watches each folded nick.
    var monitors: [String: Set<ClientID>] = [:]
    /// `serve --cluster`: the other nodes and their users; nil when alone.
    var cluster: ClusterState?

    private struct Deadline: Comparable {
        let at: ContinuousClock.Instant
        let client: ClientID
        static func < (a: Deadline, b: Deadline) -> Bool { a.at < b.at }
    }

    /// The operator's log (see ServerLogEvent); nil for none.
    public var log: ((ServerLogEvent) -> Void)?

    /// `wallClockMillis` defaults to `wallClock` in milliseconds.
    public init(config: ServerConfig = ServerConfig(), wallClock: @escaping () -> Int64,
                wallClockMillis: (() -> Int64)? = nil, persistence: PersistentHistory? = nil) {
        self.config = config
        self.wallClock = wallClock
        let millis = wallClockMillis ?? { wallClock() * 1000 }
        self.wallClockMillis = millis
        self.startedAt = wallClock()
        self.persistence = persistence
        self.msgidPrefix = persistence?.msgidPrefix ?? String(UInt64(max(0, millis())), radix: 36)
        self.messageCounter = persistence?.lastMsgid ?? 0
        for account in persistence?.accounts ?? [] { accounts[Casemapping.fold(account.name)] = account }
        for channel in persistence?.channels ?? [] { registeredRooms[Casemapping.fold(channel.name)] = channel }
        // The lobby always exists (LIST shows it to IRC clients before anyone is in it).
        if let lobby = config.defaultRoom {
            let room = Room(name: lobby, createdAt: startedAt, historyLimit: config.historyLength)
            room.modes.topicProtected = false
            rooms[room.folded] = room
            restoreHistory(of: room)
            restoreRegistration(of: room)
        }
    }

    public var userCount: Int { users.count }
    public var roomCount: Int { rooms.count }

    // MARK: Connections

    /// Users and rooms hold each other; a core dropped with people still in
    /// rooms (tests, fuzzing) must not leak them.
    deinit {
        for user in users.values { user.rooms.removeAll() }
    }

    /// SIGHUP: the message of the day and the connection password, read again.
    /// Who is connected stays connected; the new password applies to newcomers.
    public func reloadFiles(motd: [String]?, password: String?) {
        config.motd = motd
        config.password = password
    }

    /// SIGHUP with a configuration file: takes what can change while people
    /// are connected (files, flood control, limits, timeouts, operators) and
    /// returns the names of what changed but needs a restart (names and
    /// lengths already advertised to clients in 005, the lobby, history).
    public func reconfigure(_ new: ServerConfig) -> [String] {
        var merged = new
        var restart: [String] = []
        /// What clients were told at registration stays as it was until a restart.
        func keep<T: Equatable>(_ name: String, _ path: WritableKeyPath<ServerConfig, T>) {
            guard config[keyPath: path] != new[keyPath: path] else { return }
            restart.append(name)
            merged[keyPath: path] = config[keyPath: path]
        }
        keep("name", \.name)
        keep("network", \.network)
        keep("lobby", \.defaultRoom)
        keep("history", \.historyLength)
        keep("nick_length", \.nickLength)
        keep("channel_length", \.channelLength)
        keep("topic_length", \.topicLength)
        keep("max_channels", \.channelsPerUser)
        merged.stsPort = config.stsPort  // the host's, from the listening socket
        config = merged  // flood control's burst and rate with it: every user's next line uses them
        return restart
    }

    /// `awaitingHandshake`: a TLS connection whose handshake is still going on
    /// (the host calls `secured` when it is done); until then silence does not
    /// make it a plain user, and it must finish within the registration timeout.
    public func accept(_ id: ClientID, endpoint: ClientEndpoint, host: String, secure: Bool = false,
                       awaitingHandshake: Bool = false, now: ContinuousClock.Instant) {
        var refusal: String?
        let group = AddressGroup.key(host)
        let counted = !(config.maxPerIPExemptsLoopback && AddressGroup.isLoopback(host))
        if users.count - remoteUserCount >= config.maxClients {
            refusal = "Server is full: \(config.maxClients) clients; try again later"
        } else if counted && config.maxPerIP > 0 && connectionsPerHost[group, default: 0] >= config.maxPerIP {
            refusal = "Too many connections from \(group == host ? host : "\(host) (\(group))") (at most \(config.maxPerIP))"
        }
        if let refusal {
            log(.warn, "refused", [("host", host), ("reason", refusal)])
            endpoint.send(Message("ERROR", "Closing Link: \(host) (\(refusal))").bytes)
            endpoint.close()
            return
        }
        let deadline = now + config.plainAfter
        let user = User(id: id, endpoint: endpoint, host: host, dialect: .undecided, now: now,
                        flood: TokenLevel(full: config.floodBurst, now: now))
        user.plainAt = deadline
        user.signedOnAt = wallClock()
        user.isSecure = secure
        user.awaitingHandshake = awaitingHandshake
        users[id] = user
        log(.info, "connected", [("client", String(id)), ("host", host)] + (secure ? [("tls", "yes")] : []))
        connectionsPerHost[group, default: 0] += 1
        schedule(user, at: awaitingHandshake ? now + config.registrationTimeout : deadline)
    }

    /// The TLS handshake of a connection accepted `awaitingHandshake` is done:
    /// from now on it may speak, or stay silent and be a plain user.
    /// `certificateFingerprint`: the client's TLS certificate (SHA-256, hex), if it sent one (CertFP, SASL EXTERNAL).
    public func secured(_ id: ClientID, now: ContinuousClock.Instant, certificateFingerprint: String? = nil) {
        guard let user = users[id], user.awaitingHandshake else { return }
        user.awaitingHandshake = false
        if let certificateFingerprint { user.certificateFingerprint = certificateFingerprint }
        user.dialect = .undecided
        user.plainAt = now + config.plainAfter
        schedule(user, at: now + config.plainAfter)
    }

    /// One line from a client, without its line ending. Past the flood
    /// allowance it waits in the user's queue and is processed later; a queue
    /// past `floodQueueLimit` (each line's bytes plus two, so empty lines count)
    /// is "Excess Flood".
    public func receive(_ id: ClientID, line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        guard let user = users[id] else { return }
        user.lastActivity = now
        user.pingSentAt = nil
        // Off (rate 0): no tokens to count. Lines a reload to off left queued still
        // go first: this one joins them, and the queue drains on its timer, at once.
        if user.floodQueue.isEmpty
            && (config.floodRate <= 0 || takeFloodTokens(user, floodCost(of: line, for: user), now: now)) {
            return process(user, line, now: now)
        }
        user.floodQueue.append(line)
        if user.floodQueue.cost > config.floodQueueLimit {
            return disconnect(user, reason: "Excess Flood", farewell: "Disconnected: you sent too much too fast (Excess Flood)")
        }
        schedule(user, at: nextFloodToken(user, now: now))
    }

    /// A line over the framer's limit was discarded.
    public func receiveTooLong(_ id: ClientID, length: Int, now: ContinuousClock.Instant) {
        guard let user = users[id] else { return }
        user.lastActivity = now
        if case .undecided = user.dialect { becomePlain(user) }
        reply(user, .lineTooLong(length))
    }

    /// The connection is gone (EOF, reset, or the host gave up on it). Lines
    /// flood control was still holding are dropped, as ircds do: a client that
    /// queued a thousand lines and hung up does not go on talking for minutes.
    public func connectionLost(_ id: ClientID, reason: String, now: ContinuousClock.Instant = .now) {
        guard let user = users[id] else { return }
        user.gone = true
        user.floodQueue.removeAll()
        remove(user, reason: reason)
    }

    /// Tells everyone the server is going away and closes every connection.
    public func shutdown(reason: String) {
        for user in users.values {
            user.send(user.isIRC ? closingLink(user, reason) : Plain.info(reason))
            user.endpoint.close()
            user.gone = true
            user.rooms.removeAll()  // users and rooms hold each other: break the cycle
        }
        users.removeAll()
        nicks.removeAll()
        rooms.removeAll()
        connectionsPerHost.removeAll()
    }

    private func process(_ user: User, _ line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        switch user.dialect {
        case .undecided:
            guard let message = try? Message.parse(line), Self.isRegistration(message) else {
                return becomePlain(user, firstLine: line)
            }
            user.dialect = .irc
            user.ircTrial = (now + config.ircTrial, [Array(line)])
            schedule(user, at: now + config.ircTrial)
            handleIRC(user, line: line, now: now)
        case .plain:
            handlePlain(user, line: line)
        case .irc:
            if user.ircTrial != nil {
                guard let message = try? Message.parse(line), Self.isIRCCommand(message, line) else {
                    return fallBackToPlain(user, adding: line)
                }
                user.ircTrial = nil  // a second IRC line: an IRC client for sure
            }
            handleIRC(user, line: line, now: now)
        }
    }

    // MARK: Time

    public var nextDeadline: ContinuousClock.Instant? {
        deadlines.min?.at
    }

    /// Runs what is due at `now`.
    public func tick(now: ContinuousClock.Instant) {
        while let due = deadlines.min, due.at <= now {
            deadlines.removeMin()
            guard let user = users[due.client], user.nextCheck == due.at else { continue }
            user.nextCheck = nil
            check(user, now: now)
        }
    }

    /// Queues a check of `user` at `deadline`, unless an earlier one is queued.
    func schedule(_ user: User, at deadline: ContinuousClock.Instant) {
        if let queued = user.nextCheck, queued <= deadline { return }
        user.nextCheck = deadline
        deadlines.insert(Deadline(at: deadline, client: user.id))
    }

    /// Everything time decides for one user, then its next check.
    private func check(_ user: User, now: ContinuousClock.Instant) {
        if user.awaitingHandshake {
            if now - user.connectedAt >= config.registrationTimeout {
                return disconnect(user, reason: "Registration timed out", farewell: "")
            }
            return schedule(user, at: user.connectedAt + config.registrationTimeout)
        }
        if user.dialect == .undecided {
            let deadline = user.plainAt
            if deadline <= now { becomePlain(user) } else { return schedule(user, at: deadline) }
        }
        if let trial = user.ircTrial, trial.until <= now { fallBackToPlain(user, adding: nil) }
        drainFloodQueue(user, now: now)
        guard users[user.id] != nil else { return }
        if let claim = user.nickClaimDeadline, claim <= now { enforceNickClaim(user) }
        if !user.registered {
            // IRC registration, or the password a plain user was asked for.
            if now - user.connectedAt >= config.registrationTimeout {
                return disconnect(user, reason: "Registration timed out", farewell: "Disconnected: no password within \(config.registrationTimeout.components.seconds) s")
            }
        } else if user.isIRC {
            if let sentAt = user.pingSentAt {
                if now - sentAt >= config.pingInterval {
                    let seconds = (now - user.lastActivity).components.seconds
                    return disconnect(user, reason: "Ping timeout: \(seconds) seconds", farewell: "")
                }
            } else if now - user.lastActivity >= config.pingInterval {
                user.send(Message("PING", config.name))
                user.pingSentAt = now
            }
        }
        if let next = nextCheck(for: user, now: now) { schedule(user, at: next) }
    }

    private func nextCheck(for user: User, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        var next: ContinuousClock.Instant?
        func consider(_ candidate: ContinuousClock.Instant) { next = min(next ?? candidate, candidate) }
        if !user.floodQueue.isEmpty { consider(nextFloodToken(user, now: now)) }
        if let trial = user.ircTrial { consider(trial.until) }
        if let claim = user.nickClaimDeadline { consider(claim) }
        if !user.registered { consider(user.connectedAt + config.registrationTimeout) }
        else if user.isIRC {
            if let sentAt = user.pingSentAt { consider(sentAt + config.pingInterval) }
            else { consider(user.lastActivity + config.pingInterval) }
        }
        return next
    }

    // MARK: Flood control

    /// When the queue's oldest line can go.
    private func nextFloodToken(_ user: User, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let cost = user.floodQueue.first.map { floodCost(of: $0, for: user) } ?? 1
        return user.flood.nextToken(cost, burst: config.floodBurst, rate: config.floodRate, now: now)
    }

    private func takeFloodTokens(_ user: User, _ cost: Double, now: ContinuousClock.Instant) -> Bool {
        user.flood.take(cost, burst: config.floodBurst, rate: config.floodRate, now: now)
    }

    private func drainFloodQueue(_ user: User, now: ContinuousClock.Instant) {
        guard !user.floodQueue.isEmpty else { return }
        while users[user.id] != nil, let next = user.floodQueue.first,
              takeFloodTokens(user, floodCost(of: next, for: user), now: now), let line = user.floodQueue.popFirst() {
            process(user, line[...], now: now)
        }
    }

    // MARK: Lifecycle

    /// A well-formed registration command: what an IRC client's first line is.
    /// "pass the salt" (two words) or "user bob" (too few) is a person talking.
    static func isRegistration(_ message: Message) -> Bool {
        let params = message.params
        switch message.command {
        case "CAP": return !params.isEmpty && ["LS", "LIST", "REQ", "END"].contains(params[0].uppercased())
        case "PASS": return params.count == 1
        case "NICK": return params.count == 1 && Names.isValidNick(params[0], maxLength: Int.max)
        case "USER": return params.count == 4
        default: return false
        }
    }

    /// A command as IRC clients write it: one we know, in upper case (people type
    /// "help me" or "list", programs "HELP"), with the parameters it needs.
    static func isIRCCommand(_ message: Message, _ line: ArraySlice<UInt8>) -> Bool {
        guard let command = ircCommands[message.command], message.params.count >= command.minParams else { return false }
        let body = line.first == UInt8(ascii: "@") || line.first == UInt8(ascii: ":")
            ? line.drop { $0 != UInt8(ascii: " ") }.drop { $0 == UInt8(ascii: " ") } : line
        return body.starts(with: message.command.utf8)
    }

    /// PASS, OPER and AUTHENTICATE lines, in any case: what they carry is a secret.
    static func carriesSecret(_ line: [UInt8]) -> Bool {
        guard let message = try? Message.parse(line[...]) else { return false }
        return ["PASS", "OPER", "AUTHENTICATE"].contains(message.command.uppercased()) || isAccountSecret(message)
    }

    /// The trial as IRC is over without registration: a person typed the first
    /// line after all. Forget the IRC state and replay every line as plain text.
    private func fallBackToPlain(_ user: User, adding line: ArraySlice<UInt8>?) {
        guard var lines = user.ircTrial?.lines else { return }
        if let line { lines.append(Array(line)) }
        // A password typed as an IRC command is never said in a room (nor kept in its history).
        lines.removeAll(where: Self.carriesSecret)
        user.ircTrial = nil
        user.nick = "*"
        user.username = ""
        user.realname = ""
        user.passwordGiven = nil
        user.negotiatingCaps = false
        becomePlain(user, firstLine: lines.first?[...])
        for line in lines.dropFirst() where users[user.id] != nil { handlePlain(user, line: line[...]) }
    }

    /// Makes a connection a plain user: a guest nick, a greeting, the default
    /// room. `firstLine`, when the user spoke first, is their first message (or
    /// the password, on a server that has one).
    func becomePlain(_ user: User, firstLine: ArraySlice<UInt8>? = nil) {
        user.dialect = .plain
        if config.password != nil {
            user.awaitingPassword = true
            if let firstLine { return handlePlain(user, line: firstLine) }
            return user.send(Plain.info("This server needs a password: type it and press Enter."))
        }
        welcomePlain(user)
        if let firstLine { handlePlain(user, line: firstLine) }
    }

    func welcomePlain(_ user: User) {
        user.awaitingPassword = false
        let nick = nextGuestNick()
        user.nick = nick
        user.username = nick
        user.realname = nick
        register(user)
        user.send(Plain.info("Welcome to \(config.network), \(nick)! Type to talk, /help for commands."))
        if let lobby = config.defaultRoom {
            join(user, roomName: lobby)
        } else {
            user.send(Plain.info("You are not in a room yet: /join ROOM to talk, /rooms to list them."))
        }
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
        user.ircTrial = nil
        nicks[Casemapping.fold(user.nick)] = user
        maxRegisteredSeen = max(maxRegisteredSeen, nicks.count)
        monitorSignedOn(user)
        log(.info, "registered", [("client", String(user.id)), ("host", user.host), ("nick", user.nick),
                                  ("dialect", user.isIRC ? "irc" : "plain")])
        if clustered(user) { announceUser(user) }
    }

    /// Sets user mode +i or -i, keeping the count.
    func setInvisible(_ user: User, _ on: Bool) {
        guard user.invisible != on else { return }
        user.invisible = on
        invisibleCount += on ? 1 : -1
    }

    /// Sets or clears server operator status, keeping the count.
    func setOperator(_ user: User, _ on: Bool) {
        guard user.isOperator != on else { return }
        user.isOperator = on
        operatorCount += on ? 1 : -1
    }

    /// Whether `viewer` may see `other` in WHO, NAMES and LIST counts: not if
    /// `other` is invisible (+i) and they share no room (operators see everyone).
    func canSee(_ other: User, from viewer: User) -> Bool {
        !other.invisible || other === viewer || viewer.isOperator || viewer.rooms.contains { $0.contains(other) }
    }

    /// Leaves every room and the nick space; tells everyone who shared a room.
    func remove(_ user: User, reason: String) {
        guard users.removeValue(forKey: user.id) != nil else { return }
        if !isRemote(user) {
            log(.info, "disconnected", [("client", String(user.id)), ("host", user.host), ("nick", user.nick),
                                        ("reason", Self.loggedReason(reason))])
            let group = AddressGroup.key(user.host)
            if let count = connectionsPerHost[group] {
                connectionsPerHost[group] = count > 1 ? count - 1 : nil
            }
        }
        stopMonitoring(user)
        guard user.registered else { return }
        if clustered(user) {
            publish(.control, Message("QUIT", reason), about: user)
            cluster?.claimedAt[user.id] = nil
        }
        let folded = Casemapping.fold(user.nick)
        // In a cluster a remote user may wait for a rename without holding its nick.
        if nicks[folded] === user { nicks[folded] = nil }
        monitorSignedOff(user.nick)
        setInvisible(user, false)
        setOperator(user, false)
        rememberDeparture(user)
        let irc = event(Message(source: user.prefix, "QUIT", reason), from: user)
        let plain = Plain.info("\(user.nick) quit (\(reason))")
        for peer in peers(of: user) {
            peer.send(irc: irc, plain: plain)
        }
        for room in user.rooms {
            room.remove(user)
            touched(room)
            dropIfEmpty(room)
        }
        user.rooms.removeAll()
    }

    func rememberDeparture(_ user: User) {
        guard config.whowasLength > 0 else { return }
        if whowas.count == config.whowasLength { whowas.removeFirst() }
        whowas.append((user.nick, user.username, user.host, user.realname))
    }

    /// Closes a user's connection from our side, after telling them why.
    func disconnect(_ user: User, reason: String, farewell: String) {
        releaseCaptured(user)
        if user.isIRC {
            user.send(closingLink(user, reason))
        } else if !farewell.isEmpty {
            user.send(Plain.info(farewell))
        }
        user.endpoint.close()
        user.gone = true
        remove(user, reason: reason)
    }

    /// The last line an IRC client gets from us: `ERROR :Closing Link: host (reason)`.
    private func closingLink(_ user: User, _ reason: String) -> [UInt8] {
        Message("ERROR", "Closing Link: \(user.host) (\(reason))").bytes
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

    func isLobby(_ folded: String) -> Bool {
        config.defaultRoom.map { Casemapping.fold($0) == folded } ?? false
    }

    func dropIfEmpty(_ room: Room) {
        // The default room stays, with its history, for the next person to arrive.
        if room.members.isEmpty && !isLobby(room.folded) {
            rooms[room.folded] = nil
        }
    }

    // MARK: Replies

    func reply(_ user: User, _ error: ChatError) {
        if user.isIRC {
            if case .fail(let command, let code, let context, let description) = error {
                user.send(Message(source: config.name, command: "FAIL", params: [command, code] + context + [description]))
            } else if let (code, params) = error.numeric {
                numeric(user, code, params)
            } else {
                user.send(Message(source: config.name, "NOTICE", user.nick, error.text))
            }
        } else {
            user.send(Plain.info(error.text))
        }
    }

    /// A numeric reply to `user`: `:server CODE nick params...`.
    func numeric(_ user: User, _ code: String, _ params: [String]) {
        user.send(Message(source: config.name, command: code, params: [user.nick] + params))
    }

    func numeric(_ user: User, _ code: String, _ params: String...) {
        numeric(user, code, params)
    }
}
