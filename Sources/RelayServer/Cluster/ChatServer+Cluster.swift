import RelayIRC

/// Several `relay serve` nodes sharing rooms through Redis: this node's side,
/// with no sockets. Local users' actions become `ClusterEvent`s (taken by the
/// host and published); other nodes' events are applied to proxies of their
/// users, so every rule (rendering, flood of a room, MONITOR, NAMES, WHO)
/// works on the whole cluster without knowing it exists.
///
/// Consistency: every node reads the control channel in the one order Redis
/// gives it, and the origin node has already checked each action, so an
/// event is applied without checking again (a proxy may set modes, kick...).
extension ChatServer {
    // MARK: The host's side

    /// Makes this core one node of a cluster. Events are produced once `clusterLinkUp`.
    public func joinCluster(nodeID: String, ttl: Duration, now: ContinuousClock.Instant = .now) {
        cluster = ClusterState(nodeID: nodeID, ttl: ttl, now: now)
    }

    public var clusterNodeID: String? { cluster?.nodeID }
    /// How often the host calls `clusterHeartbeat`.
    public var clusterBeatInterval: Duration? { cluster?.beatInterval }
    /// Nodes heard from, this one aside.
    public var clusterPeerCount: Int { cluster?.peers.count ?? 0 }
    /// Users on other nodes.
    public var remoteUserCount: Int { cluster?.homes.count ?? 0 }

    /// What to publish since the last call, in order.
    public func takeClusterEvents() -> [ClusterEvent] {
        guard let cluster, !cluster.outbox.isEmpty else { return [] }
        defer { cluster.outbox.removeAll(keepingCapacity: true) }
        return cluster.outbox
    }

    /// Rooms (folded) to start and stop listening to: those that gained their
    /// first local member, and those that lost their last.
    public func takeClusterSubscriptions() -> (listen: [String], stop: [String]) {
        guard let cluster, !cluster.touchedRooms.isEmpty else { return ([], []) }
        var listen: [String] = [], stop: [String] = []
        for folded in cluster.touchedRooms {
            let wanted = (rooms[folded]?.localMembers ?? 0) > 0
            if wanted && cluster.subscribed.insert(folded).inserted { listen.append(folded) }
            if !wanted && cluster.subscribed.remove(folded) != nil { stop.append(folded) }
        }
        cluster.touchedRooms.removeAll(keepingCapacity: true)
        return (listen.sorted(), stop.sorted())
    }

    /// The shared history to read (rooms that just got their first local
    /// member) and to write (lines said here), and how many lines a room keeps.
    public func takeClusterHistoryWork() -> (fetch: [String], store: [(room: String, line: [UInt8])], keep: Int) {
        guard let cluster, !(cluster.historyToFetch.isEmpty && cluster.historyToStore.isEmpty) else { return ([], [], 0) }
        defer {
            cluster.historyToFetch.removeAll()
            cluster.historyToStore.removeAll(keepingCapacity: true)
        }
        return (cluster.historyToFetch, cluster.historyToStore, config.historyLength)
    }

    /// A room's shared history, as Redis kept it (oldest first): what was said
    /// before any line this node has goes in front of the room's history, and
    /// plain users who joined while it was awaited get their look back now.
    public func clusterHistory(of folded: String, lines: [[UInt8]]) {
        guard let cluster, let waiting = cluster.historyAwaited.removeValue(forKey: folded), let room = rooms[folded] else { return }
        let earliest = room.history.first?.millis ?? .max
        var older: [HistoryLine] = []
        for bytes in lines {
            guard let message = try? Message.parse(bytes[...], maxLength: ClusterEvent.maxLength), message.params.count == 2,
                  let millis = message.tags["t"].flatMap({ Int64($0) }), millis < earliest,
                  let source = message.source else { continue }
            let kind: MessageKind = message.command == "ACTION" ? .action : .privmsg
            for piece in pieces(of: message.params[1], from: source, to: room.name, kind: kind) {
                older.append(HistoryLine(text: piece, isAction: kind == .action, source: source, sender: -1, millis: millis,
                                         msgid: nextMsgid().number, account: message.tags["a"], bot: message.tags["b"] != nil))
            }
        }
        room.rememberEarlier(older)
        for id in waiting {
            if let user = users[id], user.isPlain, room.contains(user) { sendRecentLines(user, room) }
        }
    }

    /// Every room this node listens to (after a reconnect, to listen again).
    public var clusterRooms: [String] { cluster.map { $0.subscribed.sorted() } ?? [] }

    /// Redis is reachable (again): say hello (every node answers with what it
    /// has), tell the others what this node has, and tell local users if the
    /// link had been lost.
    public func clusterLinkUp(wasLost: Bool) {
        guard let cluster else { return }
        cluster.linked = true
        cluster.outbox.removeAll()
        publish(.control, Message("HELLO", config.name))
        publishSnapshot()
        if wasLost { announce("The link to the rest of the network is back.") }
    }

    /// Redis is gone: the other nodes' users leave (as in a netsplit), local
    /// users are told, and this node goes on serving them alone.
    public func clusterLinkDown(reason: String) {
        guard let cluster, cluster.linked else { return }
        cluster.linked = false
        cluster.outbox.removeAll()
        cluster.historyToFetch.removeAll()
        cluster.historyToStore.removeAll()
        cluster.historyAwaited.removeAll()
        // Said first, so the quits that follow read as what they are (a netsplit).
        announce("Lost the link to the rest of the network (\(reason)); you see only people on \(config.name) until it is back.")
        for node in Set(cluster.homes.values.map(\.node)).sorted() { dropNode(node, reason: "\(config.name) lost the network") }
        cluster.peers.removeAll()
    }

    /// A room got its first local member: what the cluster said there lately is asked of Redis.
    func fetchSharedHistory(of room: Room) {
        guard let cluster, cluster.linked, room.historyLimit > 0, cluster.historyAwaited[room.folded] == nil else { return }
        cluster.historyAwaited[room.folded] = []
        cluster.historyToFetch.append(room.folded)
    }

    /// What a local user said in a room: one line, serialized once, both the
    /// event for the room's channel and (when `kept`) the entry of its shared
    /// history, which is why it carries the source, time, account and bot flag.
    func publishSaid(_ kind: MessageKind, to address: String, _ text: String, in room: Room, by user: User,
                     millis: Int64, clientTags: [UInt8], kept: Bool) {
        guard let cluster, cluster.linked else { return }
        var message = Message(source: user.prefix, command: kind.clusterCommand, params: [address, text])
        message.tags = ["n": cluster.nodeID, "u": String(user.id), "t": String(millis)]
        if let account = user.account { message.tags["a"] = account }
        if user.isBot { message.tags["b"] = "1" }
        if !clientTags.isEmpty { message.tags["c"] = String(decoding: clientTags, as: UTF8.self) }
        let line = Array(message.bytes.dropLast(2))
        cluster.outbox.append(ClusterEvent(route: .room(room.folded), line: line))
        if kept && room.historyLimit > 0 { cluster.historyToStore.append((room.folded, line)) }
    }

    /// This node is stopping: the others drop its users at once.
    public func clusterLeave(reason: String) {
        publish(.control, Message("BYE", reason))
    }

    /// Says this node is alive, and gives up on nodes silent for too long.
    public func clusterHeartbeat(now: ContinuousClock.Instant) {
        guard let cluster, cluster.linked else { return }
        if cluster.snapshotOwed {
            answerHello()
        } else {
            publish(.control, Message("BEAT", config.name))
        }
        for (node, peer) in cluster.peers where now - peer.lastSeen >= cluster.silenceLimit {
            let silent = now - peer.lastSeen
            let millis = silent.components.seconds * 1000 + silent.components.attoseconds / 1_000_000_000_000_000
            log(.warn, "cluster-node-lost", [("node", node), ("server", peer.name), ("silent", "\(millis) ms")])
            dropNode(node, reason: "\(peer.name) stopped answering")
            cluster.peers[node] = nil
        }
    }

    /// One event from another node, as published.
    public func clusterReceive(_ line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        // Pub/sub hands a node its own events too (every room line it said): dropped before parsing.
        guard let cluster, cluster.linked, !cluster.isOwn(line) else { return }
        guard let message = try? Message.parse(line, maxLength: ClusterEvent.maxLength),
              let node = message.tags["n"], ClusterEvent.isValidNodeID(node), node != cluster.nodeID else { return }
        let params = message.params
        let name = params.first ?? node
        switch message.command {
        case "HELLO":
            cluster.peers[node] = (name, now)
            log(.info, "cluster-node-joined", [("node", node), ("server", name)])
            // Snapshots are heard by every node, so one answers every HELLO owed. A few go
            // at once (nodes coming back together after Redis did); past that, one with each
            // beat: a node that reconnects in a loop costs the others one a beat, not one a HELLO.
            if cluster.snapshotBudget.take(now: now) { return answerHello() }
            cluster.snapshotOwed = true
            return
        case "BEAT":
            if cluster.peers[node] == nil { log(.info, "cluster-node-joined", [("node", node), ("server", name)]) }
            cluster.peers[node] = (name, now)
            return
        case "BYE":
            dropNode(node, reason: params.first ?? "Server shutting down")
            cluster.peers[node] = nil
            return
        case "ROOM":
            cluster.peers[node]?.lastSeen = now
            return applyRoomState(params)
        case "LIST":
            // A snapshot's ban, exception or invite-exception entry.
            guard params.count >= 5, let room = rooms[Casemapping.fold(params[0])], let mode = params[1].first,
                  let list = Self.listModes[mode], !room.modes[keyPath: list.path].contains(where: { Casemapping.equal($0.mask, params[2]) }),
                  room.modes[keyPath: list.path].count < config.maxListEntries else { return }
            room.modes[keyPath: list.path].append(Ban(mask: params[2], setBy: params[3], setAt: Int64(params[4]) ?? 0))
            return
        default:
            if cluster.peers[node] == nil { cluster.peers[node] = (node, now) } else { cluster.peers[node]!.lastSeen = now }
        }
        guard let uidText = message.tags["u"], let uid = Int(uidText) else { return }
        let key = "\(node)/\(uid)"
        if message.command == "USER" { return addProxy(key, node: node, uid: uid, params, now: now) }
        guard let id = cluster.proxies[key], let proxy = users[id] else { return }
        applyRemote(message.command, params, by: proxy, clientTags: message.tags["c"].map { Array($0.utf8) } ?? [])
    }

    // MARK: Proxies

    /// `USER nick username host dialect signon claimed modes account server :realname`
    private func addProxy(_ key: String, node: String, uid: Int, _ params: [String], now: ContinuousClock.Instant) {
        guard let cluster, cluster.proxies[key] == nil, params.count >= 10,
              Names.isValidNick(params[0], maxLength: Int.max) else { return }
        let proxy = User(id: cluster.nextProxyID, endpoint: ProxyEndpoint.shared, host: params[2], dialect: .irc, now: now,
                         flood: TokenLevel(full: 1, now: now))
        cluster.nextProxyID -= 1
        cluster.proxies[key] = proxy.id
        cluster.homes[proxy.id] = (node, uid)
        if cluster.peers[node]?.name == node { cluster.peers[node]!.name = params[8] }
        proxy.username = params[1]
        proxy.realname = params[9]
        proxy.signedOnAt = Int64(params[4]) ?? wallClock()
        proxy.isBot = params[6].contains("B")
        proxy.isSecure = params[6].contains("S")
        if params[7] != "*" { proxy.account = params[7] }
        users[proxy.id] = proxy
        proxy.registered = true
        setInvisible(proxy, params[6].contains("i"))
        setOperator(proxy, params[6].contains("o"))
        proxy.nick = params[0]
        claim(proxy, at: Int64(params[5]) ?? 0)
        maxRegisteredSeen = max(maxRegisteredSeen, nicks.count)
    }

    /// A remote user's action, applied as its node already decided it.
    private func applyRemote(_ command: String, _ params: [String], by proxy: User, clientTags: [UInt8]) {
        func room(_ index: Int) -> Room? { params.count > index ? rooms[Casemapping.fold(params[index])] : nil }
        switch command {
        case "NICK" where params.count >= 2 && Names.isValidNick(params[0], maxLength: Int.max):
            renameProxy(proxy, to: params[0], claimedAt: Int64(params[1]) ?? 0)
        case "JOIN" where params.count >= 2:
            guard let room = join(proxy, roomName: params[0], decided: true) else { return }
            // The origin's op and voice, whatever this node would have given.
            if params[1].contains("o") { room.operators.insert(proxy.id) } else { room.operators.remove(proxy.id) }
            if params[1].contains("v") { room.voiced.insert(proxy.id) } else { room.voiced.remove(proxy.id) }
        case "PART":
            guard let room = room(0), room.contains(proxy) else { return }
            part(proxy, from: room, reason: params.count > 1 ? params[1] : nil)
        case "QUIT":
            removeProxy(proxy, reason: params.first ?? "Quit")
        case "PRIVMSG", "NOTICE", "ACTION":
            guard params.count >= 2 else { return }
            let kind: MessageKind = command == "NOTICE" ? .notice : command == "ACTION" ? .action : .privmsg
            try? say(proxy, to: params[0], text: params[1], kind: kind, tags: clientTags)
        case "TAGMSG":
            guard let target = params.first, !clientTags.isEmpty else { return }
            try? tagmsg(proxy, to: target, tags: clientTags)
        case "TOPIC":
            guard let room = room(0), params.count >= 2 else { return }
            setTopic(proxy, room, to: params[1])
        case "MODE":
            guard let room = room(0), params.count >= 2 else { return }
            try? channelMode(proxy, room, Array(params.dropFirst()))
        case "KICK":
            guard let room = room(0), params.count >= 3, let target = nicks[Casemapping.fold(params[1])], room.contains(target) else { return }
            kick(target, from: room, by: proxy, reason: params[2])
        case "AWAY":
            proxy.away = params.first.flatMap { $0.isEmpty ? nil : $0 }
            var away = Message(source: proxy.prefix, "AWAY")
            if let text = proxy.away { away.params = [text] }
            notify(about: proxy, .awayNotify, event(away, from: proxy))
        case "UMODE":
            guard let modes = params.first else { return }
            setInvisible(proxy, modes.contains("i"))
            setOperator(proxy, modes.contains("o"))
            proxy.isBot = modes.contains("B")
        case "INVITE":
            guard let room = room(1), let target = nicks[Casemapping.fold(params[0])] else { return }
            invite(target, to: room, by: proxy)
        case "KILL":
            // An operator on another node; the target is ours (KILL goes to its node only).
            guard params.count >= 2, let target = nicks[Casemapping.fold(params[0])], !isRemote(target) else { return }
            log(.info, "kill", [("by", proxy.nick), ("nick", target.nick), ("reason", params[1]), ("server", serverName(of: proxy))])
            kill(target, by: proxy, reason: params[1])
        case "WALLOPS":
            guard let text = params.first else { return }
            wallops(text, from: proxy)
        case "SETNAME":
            guard let realname = params.first else { return }
            proxy.realname = realname
            notify(about: proxy, .setname, event(Message(source: proxy.prefix, "SETNAME", realname), from: proxy), includingSelf: false)
        default:
            return
        }
    }

    /// A snapshot's room state, `ROOM #room +modes key limit setter setAt :topic`:
    /// set without a word to anyone (nothing changed; this node was told late).
    private func applyRoomState(_ params: [String]) {
        guard params.count >= 7, let room = rooms[Casemapping.fold(params[0])] else { return }
        applyModeFlags(params[1], key: params[2], limit: params[3], to: room)
        room.topic = params[6].isEmpty ? nil : Topic(text: params[6], setBy: params[4], setAt: Int64(params[5]) ?? 0)
    }

    private func applyModeFlags(_ flags: String, key: String, limit: String, to room: Room) {
        room.modes.noCTCP = flags.contains("C")
        room.modes.inviteOnly = flags.contains("i")
        room.modes.moderated = flags.contains("m")
        room.modes.noExternal = flags.contains("n")
        room.modes.secret = flags.contains("s")
        room.modes.topicProtected = flags.contains("t")
        room.modes.key = flags.contains("k") && key != "*" ? key : nil
        room.modes.limit = flags.contains("l") ? Int(limit) : nil
    }

    /// Whether `user` is another node's.
    func isRemote(_ user: User) -> Bool { user.id < 0 }

    /// The server a user is on: this one, or their node's.
    func serverName(of user: User) -> String {
        guard let cluster, let home = cluster.homes[user.id] else { return config.name }
        return cluster.peers[home.node]?.name ?? home.node
    }

    /// Servers in the cluster this node knows of, itself included.
    var serverCount: Int { 1 + (cluster?.peers.count ?? 0) }

    private func removeProxy(_ proxy: User, reason: String) {
        guard let cluster, let home = cluster.homes.removeValue(forKey: proxy.id) else { return }
        cluster.proxies["\(home.node)/\(home.uid)"] = nil
        cluster.claimedAt[proxy.id] = nil
        proxy.gone = true
        remove(proxy, reason: reason)
    }

    /// Every user of `node` quits here, with `reason`.
    private func dropNode(_ node: String, reason: String) {
        guard let cluster else { return }
        let ids = cluster.homes.filter { $0.value.node == node }.map(\.key).sorted(by: >)
        for id in ids { if let proxy = users[id] { removeProxy(proxy, reason: reason) } }
    }

    // MARK: Nick claims

    /// Gives `user` (whose `nick` is set) the nick if nobody older holds it.
    /// A younger local holder is renamed (and that rename goes out); a younger
    /// remote holder keeps the name here until its node renames it.
    private func claim(_ user: User, at millis: Int64) {
        guard let cluster else { return }
        cluster.claimedAt[user.id] = millis
        let folded = Casemapping.fold(user.nick)
        if let holder = nicks[folded], holder !== user {
            if isOlder(holder, than: user) { return }  // this one is renamed by its node
            if !isRemote(holder) { yieldNick(holder) }
        }
        nicks[folded] = user
        monitorSignedOn(user)
    }

    private func isOlder(_ a: User, than b: User) -> Bool {
        let ta = cluster?.claimedAt[a.id] ?? 0, tb = cluster?.claimedAt[b.id] ?? 0
        if ta != tb { return ta < tb }
        return homeKey(a) < homeKey(b)
    }

    private func homeKey(_ user: User) -> String {
        guard let cluster else { return "" }
        if let home = cluster.homes[user.id] { return "\(home.node)/\(home.uid)" }
        return "\(cluster.nodeID)/\(user.id)"
    }

    /// A local user loses a nick an older claim holds elsewhere: renamed to
    /// one that is theirs alone ("nID-UID"), and told why.
    private func yieldNick(_ user: User) {
        guard let cluster else { return }
        let taken = user.nick
        let fresh = "\(cluster.nodeID)-\(user.id)"
        log(.info, "cluster-nick-collision", [("client", String(user.id)), ("nick", taken), ("new", fresh)])
        if user.isIRC {
            user.send(Message(source: config.name, "NOTICE", user.nick,
                              "\(taken) was already in use on another server of \(config.network); you are now \(fresh)"))
        } else {
            user.send(Plain.info("\(taken) was already in use on another server of \(config.network); you are now \(fresh)"))
        }
        applyNick(user, to: fresh)
    }

    private func renameProxy(_ proxy: User, to newNick: String, claimedAt millis: Int64) {
        guard let cluster else { return }
        let holdsOld = nicks[Casemapping.fold(proxy.nick)] === proxy
        if holdsOld {
            applyNick(proxy, to: newNick, claiming: false)
        } else {
            proxy.nick = newNick
        }
        cluster.claimedAt[proxy.id] = millis
        claim(proxy, at: millis)
    }

    // MARK: Local events out

    /// Queues an event about `user` (a local one) for the other nodes.
    /// `clientTags`: what the sender's client-only tags are (`+draft/reply=…;+typing=…`), carried as one tag `c`.
    func publish(_ route: ClusterEvent.Route, _ message: Message, about user: User? = nil, clientTags: [UInt8] = []) {
        guard let cluster, cluster.linked else { return }
        var message = message
        message.tags["n"] = cluster.nodeID
        if let user { message.tags["u"] = String(user.id) }
        if !clientTags.isEmpty { message.tags["c"] = String(decoding: clientTags, as: UTF8.self) }
        cluster.outbox.append(ClusterEvent(route: route, line: Array(message.bytes.dropLast(2))))  // no CRLF: Redis frames it
    }

    /// Whether what `user` does goes to the other nodes.
    @inline(__always)
    func clustered(_ user: User) -> Bool { cluster != nil && user.id >= 0 }

    func touched(_ room: Room) {
        cluster?.touchedRooms.insert(room.folded)
    }

    func announceUser(_ user: User) {
        guard let cluster else { return }
        let millis = cluster.claimedAt[user.id] ?? wallClockMillis()
        cluster.claimedAt[user.id] = millis
        let modes = userModeString(user).dropFirst() + (user.isSecure ? "S" : "")
        publish(.control, Message(command: "USER", params: [
            user.nick, user.username, user.host, user.isIRC ? "irc" : "plain",
            String(user.signedOnAt), String(millis), modes.isEmpty ? "-" : String(modes), user.account ?? "*", config.name,
            user.realname,
        ]), about: user)
    }

    /// A local user's modes (i, o, B) changed.
    func announceUserModes(_ user: User) {
        guard clustered(user) else { return }
        publish(.control, Message("UMODE", String(userModeString(user).dropFirst())), about: user)
    }

    func announceJoin(_ user: User, _ room: Room) {
        let flags = (room.isOperator(user) ? "o" : "") + (room.voiced.contains(user.id) ? "v" : "")
        publish(.control, Message("JOIN", room.name, flags.isEmpty ? "-" : flags), about: user)
    }

    /// A beat (the newcomer learns of this node now, users or not) and a snapshot.
    private func answerHello() {
        guard let cluster else { return }
        cluster.snapshotOwed = false
        publish(.control, Message("BEAT", config.name))
        publishSnapshot()
    }

    /// Everything other nodes need to know of this one: its users, where they
    /// are, and the state of their rooms. Sent on HELLO (theirs and ours).
    private func publishSnapshot() {
        let locals = users.values.filter { $0.id >= 0 && $0.registered }.sorted { $0.id < $1.id }
        for user in locals {
            announceUser(user)
            if let away = user.away { publish(.control, Message("AWAY", away), about: user) }
            for room in user.rooms { announceJoin(user, room) }
        }
        for room in rooms.values where room.localMembers > 0 {
            let modes = room.modes.string(withParameters: true)
            let topic = room.topic
            publish(.control, Message(command: "ROOM", params: [
                room.name, modes[0], room.modes.key ?? "*", room.modes.limit.map(String.init) ?? "*",
                topic?.setBy ?? "*", String(topic?.setAt ?? 0), topic?.text ?? "",
            ]))
            for (mode, list) in Self.listModes.sorted(by: { $0.key < $1.key }) {
                for entry in room.modes[keyPath: list.path] {
                    publish(.control, Message("LIST", room.name, String(mode), entry.mask, entry.setBy, String(entry.setAt)))
                }
            }
        }
    }

    /// A line from the server to every local user, in their dialect.
    private func announce(_ text: String) {
        for user in users.values where user.id >= 0 && user.registered {
            if user.isIRC { user.send(Message(source: config.name, "NOTICE", user.nick, text)) } else { user.send(Plain.info(text)) }
        }
    }
}
