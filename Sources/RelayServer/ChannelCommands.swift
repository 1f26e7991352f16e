import RelayIRC

/// IRC's channel commands: JOIN, PART, TOPIC, NAMES, LIST, INVITE, KICK.
extension ChatServer {
    func ircJoin(_ user: User, _ message: Message) throws(ChatError) {
        if message.params[0] == "0" {
            for room in user.rooms { part(user, from: room, reason: nil) }
            return
        }
        let keys = message.params.count > 1 ? message.params[1].split(separator: ",", omittingEmptySubsequences: false).map(String.init) : []
        for (index, name) in message.params[0].split(separator: ",").enumerated() {
            join(user, roomName: String(name), key: index < keys.count ? keys[index] : nil)
        }
    }

    func ircPart(_ user: User, _ message: Message) throws(ChatError) {
        let reason = message.params.count > 1 ? message.params[1] : nil
        for name in message.params[0].split(separator: ",").map(String.init) {
            guard let room = rooms[Casemapping.fold(name)] else { reply(user, .noSuchChannel(name)); continue }
            guard room.contains(user) else { reply(user, .notOnChannel(room.name)); continue }
            part(user, from: room, reason: reason)
        }
    }

    func ircTopic(_ user: User, _ message: Message) throws(ChatError) {
        let room = try existingRoom(message.params[0])
        guard message.params.count > 1 else {
            if room.modes.secret && !room.contains(user) { throw .notOnChannel(room.name) }
            return sendTopic(user, room)
        }
        guard room.contains(user) else { throw .notOnChannel(room.name) }
        if room.modes.topicProtected && !room.isOperator(user) && !user.isOperator {
            throw .chanOpPrivsNeeded(room.name)
        }
        setTopic(user, room, to: message.params[1])
    }

    func ircNames(_ user: User, _ message: Message) throws(ChatError) {
        guard let list = message.params.first, !list.isEmpty else {
            // Bare NAMES: the user's own rooms, not a walk of the whole server (as Ergo and InspIRCd do).
            for room in user.rooms { sendNames(user, room) }
            return numeric(user, "366", "*", "End of /NAMES list")
        }
        let names = list.split(separator: ",").map(String.init)
        if names.count > config.maxTargets { throw .tooManyTargets(list) }
        for name in names {
            if let room = rooms[Casemapping.fold(name)], isVisible(room, to: user) {
                sendNames(user, room)
            } else {
                numeric(user, "366", name, "End of /NAMES list")
            }
        }
    }

    /// LIST, with the ELIST conditions (comma-separated, all must hold): a room
    /// name or mask (M), `!mask` (N), `>n`/`<n` members (U), `C>n`/`C<n` minutes
    /// since creation (C), `T>n`/`T<n` minutes since the topic was set (T).
    func ircList(_ user: User, _ message: Message) throws(ChatError) {
        numeric(user, "321", "Channel", "Users  Name")
        let conditions = message.params.first.map { $0.split(separator: ",").map(String.init) } ?? []
        let now = wallClock()
        for room in rooms.values.sorted(by: { $0.folded < $1.folded }) where isVisible(room, to: user) {
            let count = room.contains(user) ? room.members.count : room.members.filter { canSee($0, from: user) }.count
            guard Self.listConditionsHold(conditions, room: room, members: count, now: now) else { continue }
            numeric(user, "322", room.name, String(count), room.topic?.text ?? "")
        }
        numeric(user, "323", "End of /LIST")
    }

    private static func listConditionsHold(_ conditions: [String], room: Room, members: Int, now: Int64) -> Bool {
        var names: [String] = []
        for condition in conditions {
            func number(_ text: Substring) -> Int64? { Int64(text) }
            if condition.hasPrefix(">"), let n = number(condition.dropFirst()) { if Int64(members) <= n { return false }; continue }
            if condition.hasPrefix("<"), let n = number(condition.dropFirst()) { if Int64(members) >= n { return false }; continue }
            if condition.hasPrefix("C>") || condition.hasPrefix("C<") || condition.hasPrefix("T>") || condition.hasPrefix("T<"),
               let minutes = number(condition.dropFirst(2)) {
                let since: Int64
                if condition.hasPrefix("C") { since = room.createdAt } else {
                    guard let topic = room.topic else { return false }
                    since = topic.setAt
                }
                let age = (now - since) / 60
                if condition.dropFirst().hasPrefix(">") ? age <= minutes : age >= minutes { return false }
                continue
            }
            if condition.hasPrefix("!") {
                if Names.matches(mask: String(condition.dropFirst()), room.name) { return false }
                continue
            }
            names.append(condition)
        }
        return names.isEmpty || names.contains { Names.matches(mask: $0, room.name) }
    }

    func ircInvite(_ user: User, _ message: Message) throws(ChatError) {
        guard message.params.count >= 2 else {
            if message.params.count == 1 { throw .needMoreParams("INVITE") }
            // No arguments: the rooms this user is invited to.
            for room in rooms.values.sorted(by: { $0.folded < $1.folded }) where room.invited.contains(user.id) {
                numeric(user, "336", room.name)
            }
            return numeric(user, "337", "End of /INVITE list")
        }
        let nick = message.params[0], name = message.params[1]
        guard let target = nicks[Casemapping.fold(nick)] else { throw .noSuchNick(nick) }
        let room = try existingRoom(name)
        guard room.contains(user) else { throw .notOnChannel(room.name) }
        if room.contains(target) { throw .userOnChannel(target.nick, room.name) }
        if room.modes.inviteOnly && !room.isOperator(user) && !user.isOperator { throw .chanOpPrivsNeeded(room.name) }
        numeric(user, "341", target.nick, room.name)
        invite(target, to: room, by: user)
    }

    /// Lets `target` past +i (and +b, +l) once, and tells them (and the room's members who asked).
    func invite(_ target: User, to room: Room, by user: User) {
        room.invited.insert(target.id)
        // In a cluster every node lets them in: they may join on theirs.
        if clustered(user) { publish(.control, Message("INVITE", target.nick, room.name), about: user) }
        let invite = event(Message(source: user.prefix, "INVITE", target.nick, room.name), from: user)
        target.send(irc: invite, plain: Plain.info("\(user.nick) invites you to \(room.name): type /join \(room.name)"))
        // invite-notify: the room's other members who asked see it too.
        for member in room.members where member !== user && member.caps.contains(.inviteNotify) {
            member.send(invite)
        }
    }

    func ircKick(_ user: User, _ message: Message) throws(ChatError) {
        let room = try existingRoom(message.params[0])
        if !user.isOperator {
            guard room.contains(user) else { throw .notOnChannel(room.name) }
            guard room.isOperator(user) else { throw .chanOpPrivsNeeded(room.name) }
        }
        let reason = TextSplitter.prefix(message.params.count > 2 ? message.params[2] : user.nick, maxBytes: config.kickLength)
        let targets = message.params[1].split(separator: ",").map(String.init)
        if targets.count > config.maxTargets { throw .tooManyTargets(message.params[1]) }
        for nick in targets {
            guard let target = nicks[Casemapping.fold(nick)], room.contains(target) else {
                reply(user, .userNotInChannel(nick, room.name))
                continue
            }
            kick(target, from: room, by: user, reason: reason)
        }
    }

    func kick(_ target: User, from room: Room, by user: User, reason: String) {
        if clustered(user) { publish(.control, Message("KICK", room.name, target.nick, reason), about: user) }
        touched(room)
        let irc = event(Message(source: user.prefix, "KICK", room.name, target.nick, reason), from: user)
        let plain = Plain.info("\(user.nick) kicked \(target.nick) from \(room.name) (\(reason))")
        for member in room.members {
            if member === target && member.isPlain {
                member.send(Plain.info("You were kicked from \(room.name) by \(user.nick) (\(reason))"))
            } else {
                member.send(irc: irc, plain: plain)
            }
        }
        room.remove(target)
        target.rooms.removeAll { $0 === room }
        dropIfEmpty(room)
    }

    func existingRoom(_ name: String) throws(ChatError) -> Room {
        guard let room = rooms[Casemapping.fold(name)] else { throw .noSuchChannel(name) }
        return room
    }

    /// Secret rooms are seen only by their members (and server operators).
    func isVisible(_ room: Room, to user: User) -> Bool {
        !room.modes.secret || room.contains(user) || user.isOperator
    }
}
