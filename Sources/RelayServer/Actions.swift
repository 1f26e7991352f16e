import RelayIRC

/// What users do, whichever dialect asked: each action checks its rules once
/// and tells every party in its own rendering.
extension ChatServer {
    /// Changes a registered user's nick, telling everyone who shares a room once.
    func changeNick(_ user: User, to newNick: String) throws(ChatError) {
        guard Names.isValidNick(newNick, maxLength: Int.max) else { throw .erroneousNick(newNick) }
        guard newNick.utf8.count <= config.nickLength else { throw .nickTooLong(newNick, limit: config.nickLength) }
        let folded = Casemapping.fold(newNick)
        if let holder = nicks[folded], holder !== user { throw .nickInUse(newNick) }
        if newNick == user.nick { return }
        applyNick(user, to: newNick)
        claimCheck(user)
    }

    /// Renames `user` and tells everyone who shares a room once. `claiming`:
    /// the new nick becomes theirs in the nick space (a cluster's proxy may
    /// wait for that; see `ChatServer+Cluster`).
    func applyNick(_ user: User, to newNick: String, claiming: Bool = true) {
        let oldNick = user.nick
        let irc = event(Message(source: user.prefix, "NICK", newNick), from: user)
        let oldFolded = Casemapping.fold(oldNick)
        if nicks[oldFolded] === user { nicks[oldFolded] = nil }
        user.nick = newNick
        if claiming { nicks[Casemapping.fold(newNick)] = user }
        log(.debug, "nick", [("client", String(user.id)), ("nick", oldNick), ("new", newNick)])
        let plain = Plain.info("\(oldNick) is now known as \(newNick)")
        for peer in peers(of: user) {
            peer.send(irc: irc, plain: plain)
        }
        user.send(irc: irc, plain: Plain.info("You are now known as \(newNick)"))
        monitorSignedOff(oldNick)
        if claiming { monitorSignedOn(user) }
        if clustered(user) {
            let millis = wallClockMillis()
            cluster?.claimedAt[user.id] = millis
            publish(.control, Message("NICK", newNick, String(millis)), about: user)
        }
    }

    /// Joins `roomName`, creating the room (with the joiner as operator) if new.
    /// `decided`: another node of a cluster let its user in; no rule is checked again.
    @discardableResult
    func join(_ user: User, roomName: String, key: String? = nil, decided: Bool = false) -> Room? {
        guard Names.isValidChannel(roomName, maxLength: config.channelLength) else {
            reply(user, .noSuchChannel(roomName))
            return nil
        }
        let folded = Casemapping.fold(roomName)
        if let existing = rooms[folded], existing.contains(user) {
            if user.isPlain { reply(user, .alreadyInRoom(existing.name)) }
            return existing
        }
        if user.rooms.count >= config.channelsPerUser && !user.isPlain && !decided {
            reply(user, .tooManyChannels(roomName))
            return nil
        }
        let isLobby = self.isLobby(folded)
        // A registered room comes back (with its key, bans...) before anyone may be let in.
        let restored = rooms[folded] == nil && registeredRooms[folded] != nil
        if restored { makeRoom(roomName, isLobby: isLobby) }
        if !decided, let existing = rooms[folded], let refusal = refusal(user, joining: existing, key: key) {
            if restored { rooms[folded] = nil }
            reply(user, refusal)
            return nil
        }
        // A plain user talks in one room at a time: joining moves them.
        if user.isPlain, let current = user.currentRoom {
            part(user, from: current, reason: nil)
        }
        let room = rooms[folded] ?? makeRoom(roomName, isLobby: isLobby)
        if opensAsOperator(user, room, isLobby: isLobby) { room.operators.insert(user.id) }
        room.invited.remove(user.id)
        room.add(user)
        user.rooms.append(room)
        if clustered(user) {
            touched(room)
            announceJoin(user, room)
            if room.localMembers == 1 { fetchSharedHistory(of: room) }
        }

        let irc = event(Message(source: user.prefix, "JOIN", room.name), from: user)
        let plain = Plain.info("\(user.nick) joined \(room.name)")
        // extended-join adds the account and realname; away-notify follows a
        // JOIN with the joiner's AWAY. Both rendered only if someone asked.
        var extended: TaggedLine?
        func extendedJoin() -> TaggedLine {
            if let extended { return extended }
            let made = event(Message(source: user.prefix, command: "JOIN", params: [room.name, user.account ?? "*", user.realname]), from: user)
            extended = made
            return made
        }
        var away: TaggedLine?
        for member in room.members where member !== user {
            if member.caps.contains(.extendedJoin) { member.send(extendedJoin()) } else { member.send(irc: irc, plain: plain) }
            if let text = user.away, member.caps.contains(.awayNotify) {
                if away == nil { away = event(Message(source: user.prefix, "AWAY", text), from: user) }
                member.send(away!)
            }
        }
        if user.isIRC {
            user.send(user.caps.contains(.extendedJoin) ? extendedJoin() : irc)
            if user.caps.contains(.readMarker) { sendReadMarker(user, target: room.name) }
            sendTopic(user, room, silentIfNone: true)
            sendNames(user, room)
        } else {
            welcomePlain(user, to: room)
        }
        return room
    }

    /// A new room, with what the disk kept of it (history; a registered room's state).
    @discardableResult
    private func makeRoom(_ name: String, isLobby: Bool) -> Room {
        let room = Room(name: name, createdAt: wallClock(), historyLimit: config.historyLength)
        // The lobby belongs to everyone: nobody is handed op there, and anyone may set its topic.
        if isLobby { room.modes.topicProtected = false }
        rooms[room.folded] = room
        restoreHistory(of: room)
        restoreRegistration(of: room)
        return room
    }

    /// Why `user` may not join `room`, if they may not: +b, +i, +k, +l, in that order.
    private func refusal(_ user: User, joining room: Room, key: String?) -> ChatError? {
        // An invite lets the invitee past +b, +i and +l (not +k); +I past +i.
        // A registered room's founder, logged in, is let in past all of them.
        if let record = registeredRooms[room.folded], let account = user.account, Casemapping.equal(account, record.founder) { return nil }
        let invited = room.invited.contains(user.id)
        if room.isBanned(user) && !invited { return .banned(room.name) }
        if room.modes.inviteOnly && !invited && !room.isInviteException(user) { return .inviteOnly(room.name) }
        if let required = room.modes.key, key != required { return .badKey(room.name) }
        if let limit = room.modes.limit, room.members.count >= limit, !invited { return .channelIsFull(room.name) }
        return nil
    }

    private func welcomePlain(_ user: User, to room: Room) {
        let names = room.members.map { room.decoratedNick($0) }
        let people = names.count == 1 ? "just you" : "\(names.count) people: \(Plain.list(names))"
        user.send(Plain.info("You joined \(room.name) (\(people))"))
        if let topic = room.topic {
            user.send(Plain.info("Topic: \(topic.text)"))
        }
        if cluster?.historyAwaited[room.folded] != nil {
            cluster?.historyAwaited[room.folded]?.append(user.id)  // told when the cluster's history comes
        } else {
            sendRecentLines(user, room)
        }
    }

    /// A plain user's look back at what was said in `room` before they came.
    func sendRecentLines(_ user: User, _ room: Room) {
        guard !room.history.isEmpty else { return }
        user.send(Plain.info("Recent messages in \(room.name):"))
        for line in room.history {
            user.send(Plain.line(line.isAction ? "* \(line.nick) \(line.text)" : "<\(line.nick)> \(line.text)"))
        }
    }

    /// Leaves a room, telling its members (and the leaver).
    func part(_ user: User, from room: Room, reason: String?) {
        var message = Message(source: user.prefix, "PART", room.name)
        if let reason, !reason.isEmpty { message.params.append(reason) }
        if clustered(user) {
            publish(.control, Message(command: "PART", params: Array(message.params)), about: user)
            touched(room)
        }
        let irc = event(message, from: user)
        let suffix = reason.map { $0.isEmpty ? "" : " (\($0))" } ?? ""
        let plain = Plain.info("\(user.nick) left \(room.name)\(suffix)")
        for member in room.members {
            if member === user {
                member.send(irc: irc, plain: Plain.info("You left \(room.name)"))
            } else {
                member.send(irc: irc, plain: plain)
            }
        }
        room.remove(user)
        user.rooms.removeAll { $0 === room }
        dropIfEmpty(room)
    }

    enum MessageKind {
        case privmsg, notice, action

        var command: String { self == .notice ? "NOTICE" : "PRIVMSG" }
        /// Between a cluster's nodes an action is its own command (the text without CTCP).
        var clusterCommand: String { self == .action ? "ACTION" : command }
    }

    /// Sends text to a room or a nick. IRC recipients get one message, as every
    /// IRC server sends it: cut at a character boundary if it no longer fits 512
    /// bytes once the sender's prefix is added (never split into two, which
    /// breaks CTCP and message counts). Plain readers have no such limit: they get
    /// the whole text, wrapped between words.
    /// `tags` are the sender's client-only tags, relayed to message-tags clients.
    func say(_ user: User, to target: String, text: String, kind: MessageKind, tags: [UInt8] = []) throws(ChatError) {
        if text.isEmpty { throw .noTextToSend }
        // STATUSMSG: "@#room" reaches its operators, "+#room" its voiced users and operators.
        var target = target
        var only: Character?
        if let first = target.first, first == "@" || first == "+", Names.isChannel(String(target.dropFirst())) {
            only = first
            target.removeFirst()
        }
        user.lastMessageAt = user.lastActivity
        let source = user.prefix  // once: every line below needs it
        // CTCP other than ACTION (VERSION, PING...) is for programs: only IRC clients
        // get it, and no room's history keeps it.
        let forPrograms = kind != .action && text.hasPrefix("\u{1}")
        if Names.isChannel(target) {
            guard let room = rooms[Casemapping.fold(target)] else { throw .noSuchChannel(target) }
            if let why = silenced(user, in: room) { throw .cannotSendToChannel(room.name, why: why) }
            if room.modes.noCTCP && forPrograms { throw .cannotSendToChannel(room.name, why: "no CTCPs") }
            let address = only.map { String($0) + room.name } ?? room.name
            let pieces = pieces(of: text, from: source, to: address, kind: kind)
            let msgid = nextMsgid()
            let irc = event(ircMessage(source, to: address, truncated(text, from: source, to: address, kind: kind), kind),
                            from: user, msgid: msgid, clientTags: tags)
            var plain: [[UInt8]]?
            // The hot loop: a client that asked for no tags takes the line as it is.
            // Hoisted here rather than left to User.send(_: TaggedLine): 4 % fewer
            // instructions at 200 receivers (callgrind, scripts/bench/RESULTS.md).
            let untagged = irc.line, tagged = Capability.tagged.rawValue
            let fits = untagged.count <= Message.maxLength + 2  // cut to fit once, not per member
            room.forEachMember { member in
                guard member !== user,
                      only == nil || room.isOperator(member) || (only == "+" && room.voiced.contains(member.id))
                else { return }
                if member.isIRC {
                    if member.caps.rawValue & tagged != 0 {
                        member.send(irc)
                    } else if fits {
                        member.sendFitting(untagged)
                    } else {
                        member.send(untagged)
                    }
                } else if !forPrograms {
                    if plain == nil { plain = pieces.map { plainLine(user, $0, kind, isPrivate: false) } }
                    for line in plain! { member.send(line) }
                }
            }
            if user.caps.contains(.echoMessage) { user.send(irc) }
            let kept = kind != .notice && !forPrograms && only == nil  // in the room's history
            if clustered(user) {
                publishSaid(kind, to: address, text, in: room, by: user, millis: irc.millis, clientTags: tags, kept: kept)
            }
            if kept {
                for piece in pieces {
                    remember(HistoryLine(text: piece, isAction: kind == .action, source: source,
                                         sender: user.id, millis: irc.millis, msgid: msgid.number,
                                         account: user.account, bot: user.isBot), in: room)
                }
            }
        } else {
            guard let recipient = nicks[Casemapping.fold(target)] else {
                // NickServ and ChanServ are relay itself, for both dialects, unless someone holds the nick.
                if kind == .privmsg, answeredByService(user, target, text) { return }
                throw .noSuchNick(target)
            }
            if recipient.isIRC || user.caps.contains(.echoMessage) {
                let irc = event(ircMessage(source, to: recipient.nick, truncated(text, from: source, to: recipient.nick, kind: kind), kind),
                                from: user, msgid: nextMsgid(), clientTags: tags)
                if recipient.isIRC { recipient.send(irc) }
                if user.caps.contains(.echoMessage) { user.send(irc) }  // even a CTCP a plain user never sees
            }
            if isRemote(recipient) && clustered(user), let node = cluster?.homes[recipient.id]?.node {
                publish(.node(node), Message(kind.clusterCommand, recipient.nick, text), about: user, clientTags: tags)
            }
            if recipient.isPlain && forPrograms { return }
            for piece in pieces(of: text, from: source, to: recipient.nick, kind: kind) {
                if recipient.isPlain { recipient.send(plainLine(user, piece, kind, isPrivate: true)) }
                if user.isPlain {
                    user.send(Plain.line("-> *\(recipient.nick)* \(kind == .action ? "* \(user.nick) " : "")\(piece)"))
                }
            }
            if let away = recipient.away, kind != .notice {
                if user.isIRC { numeric(user, "301", recipient.nick, away) }
                else { user.send(Plain.info("\(recipient.nick) is away: \(away)")) }
            }
        }
    }

    /// Why `user` may not speak in `room` (+n, +m, +b), if they may not.
    func silenced(_ user: User, in room: Room) -> String? {
        let member = room.contains(user)
        if !member && room.modes.noExternal { return "no external messages" }
        if room.canSpeak(user) { return nil }
        if room.modes.moderated { return "moderated" }
        if member && room.isBanned(user) { return "banned" }
        if room.isMuted(user) { return "muted" }
        return nil
    }

    /// Bytes of text one IRC line holds: ":prefix PRIVMSG target :" plus, for an
    /// action, "\u{1}ACTION " and "\u{1}", within 510 (CRLF aside).
    private func textRoom(from source: String, to target: String, kind: MessageKind) -> Int {
        let overhead = 1 + source.utf8.count + 1 + kind.command.utf8.count + 1 + target.utf8.count + 2
            + (kind == .action ? 9 : 0)
        return max(Message.maxLength - overhead, 16)
    }

    func pieces(of text: String, from source: String, to target: String, kind: MessageKind) -> [String] {
        TextSplitter.split(text, maxBytes: textRoom(from: source, to: target, kind: kind))
    }

    private func truncated(_ text: String, from source: String, to target: String, kind: MessageKind) -> String {
        TextSplitter.prefix(text, maxBytes: textRoom(from: source, to: target, kind: kind))
    }

    private func ircMessage(_ source: String, to target: String, _ text: String, _ kind: MessageKind) -> Message {
        let payload = kind == .action ? CTCP.action(text) : text
        return Message(source: source, command: kind.command, params: [target, payload])
    }

    private func plainLine(_ user: User, _ text: String, _ kind: MessageKind, isPrivate: Bool) -> [UInt8] {
        switch (kind, isPrivate) {
        case (.action, false): return Plain.line("* \(user.nick) \(text)")
        case (.action, true): return Plain.line("*\(user.nick)* * \(user.nick) \(text)")
        case (.notice, _): return Plain.line("-\(user.nick)- \(text)")
        case (.privmsg, false): return Plain.line("<\(user.nick)> \(text)")
        case (.privmsg, true): return Plain.line("*\(user.nick)* \(text)")
        }
    }

    /// Sets (or, with an empty text, clears) a room's topic.
    func setTopic(_ user: User, _ room: Room, to text: String) {
        let clipped = TextSplitter.prefix(text, maxBytes: config.topicLength)
        room.topic = clipped.isEmpty ? nil : Topic(text: clipped, setBy: user.prefix, setAt: wallClock())
        let irc = event(Message(source: user.prefix, "TOPIC", room.name, clipped), from: user)
        if clustered(user) { publish(.control, Message("TOPIC", room.name, clipped), about: user) }
        let plain = Plain.info(clipped.isEmpty
            ? "\(user.nick) cleared the topic of \(room.name)"
            : "\(user.nick) changed the topic of \(room.name) to: \(clipped)")
        for member in room.members {
            member.send(irc: irc, plain: plain)
        }
        persist(room)
    }

    /// 332/333 (or 331) for IRC, a readable line for plain users.
    func sendTopic(_ user: User, _ room: Room, silentIfNone: Bool = false) {
        if user.isIRC {
            if let topic = room.topic {
                numeric(user, "332", room.name, topic.text)
                numeric(user, "333", room.name, topic.setBy, String(topic.setAt))
            } else if !silentIfNone {
                numeric(user, "331", room.name, "No topic is set")
            }
        } else if let topic = room.topic {
            let setter = topic.setBy.split(separator: "!").first.map(String.init) ?? topic.setBy
            user.send(Plain.info("Topic of \(room.name): \(topic.text) (set by \(setter))"))
        } else {
            user.send(Plain.info("\(room.name) has no topic"))
        }
    }

    /// 353/366: the room's members, in as many lines as it takes.
    func sendNames(_ user: User, _ room: Room) {
        let symbol = room.modes.secret ? "@" : "="  // no +p here, so never "*"
        let head = ":\(config.name) 353 \(user.nick) \(symbol) \(room.name) :".utf8.count + 2
        var batch: [String] = []
        var length = head
        let inside = room.contains(user)
        let allPrefixes = user.caps.contains(.multiPrefix), withHosts = user.caps.contains(.userhostInNames)
        for member in room.members where inside || canSee(member, from: user) {
            let name = room.prefixes(of: member, all: allPrefixes) + (withHosts ? member.prefix : member.nick)
            if length + name.utf8.count + 1 > 512 && !batch.isEmpty {
                numeric(user, "353", symbol, room.name, batch.joined(separator: " "))
                batch.removeAll()
                length = head
            }
            batch.append(name)
            length += name.utf8.count + 1
        }
        if !batch.isEmpty { numeric(user, "353", symbol, room.name, batch.joined(separator: " ")) }
        numeric(user, "366", room.name, "End of /NAMES list")
    }
}
