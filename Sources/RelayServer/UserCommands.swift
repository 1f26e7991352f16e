import RelayIRC

/// IRC's user queries and operator commands: WHO, WHOIS, WHOWAS, ISON,
/// USERHOST, OPER, KILL, WALLOPS.
extension ChatServer {
    func ircWho(_ user: User, _ message: Message) throws(ChatError) {
        let mask = message.params.first ?? "*"
        let operatorsOnly = message.params.count > 1 && message.params[1].contains("o")
        if Names.isChannel(mask) {
            if let room = rooms[Casemapping.fold(mask)], isVisible(room, to: user) {
                for member in room.members where (!operatorsOnly || member.isOperator) && canSee(member, from: user) {
                    whoReply(user, member, channel: room.name, room: room)
                }
            }
        } else {
            for other in nicks.values.sorted(by: { $0.nick < $1.nick })
            where (!operatorsOnly || other.isOperator) && canSee(other, from: user) {
                guard mask == "*" || mask == "0" || Names.matches(mask: mask, other.nick)
                    || Names.matches(mask: mask, other.prefix) || Names.matches(mask: mask, other.host) else { continue }
                let shared = other.rooms.first { isVisible($0, to: user) }
                whoReply(user, other, channel: shared?.name ?? "*", room: shared)
            }
        }
        numeric(user, "315", mask, "End of /WHO list")
    }

    private func whoReply(_ user: User, _ other: User, channel: String, room: Room?) {
        var flags = other.away == nil ? "H" : "G"
        if other.isOperator { flags += "*" }
        if let room {
            if room.isOperator(other) { flags += "@" } else if room.voiced.contains(other.id) { flags += "+" }
        }
        numeric(user, "352", channel, other.username, other.host, config.name, other.nick, flags, "0 \(other.realname)")
    }

    func ircWhois(_ user: User, _ message: Message) throws(ChatError) {
        let nick = message.params.last!.split(separator: ",").first.map(String.init) ?? ""
        guard let other = nicks[Casemapping.fold(nick)] else {
            reply(user, .noSuchNick(nick))
            return numeric(user, "318", nick, "End of /WHOIS list")
        }
        numeric(user, "311", other.nick, other.username, other.host, "*", other.realname)
        let channels = other.rooms.filter { isVisible($0, to: user) }.map { room -> String in
            room.isOperator(other) ? "@" + room.name : room.voiced.contains(other.id) ? "+" + room.name : room.name
        }
        if !channels.isEmpty { numeric(user, "319", other.nick, channels.joined(separator: " ")) }
        numeric(user, "312", other.nick, config.name, config.network)
        if let away = other.away { numeric(user, "301", other.nick, away) }
        if other.isOperator { numeric(user, "313", other.nick, "is an IRC operator") }
        let idle = (other.lastActivity - other.lastMessageAt).components.seconds
        numeric(user, "317", other.nick, String(max(0, idle)), String(other.signedOnAt), "seconds idle, signon time")
        numeric(user, "318", other.nick, "End of /WHOIS list")
    }

    func ircWhowas(_ user: User, _ message: Message) throws(ChatError) {
        let nick = message.params[0]
        // Newest first; a positive count bounds the replies.
        let count = message.params.count > 1 ? Int(message.params[1]) ?? 0 : 0
        let matches = whowas.reversed().filter { Casemapping.equal($0.nick, nick) }.prefix(count > 0 ? min(count, 10) : 10)
        if matches.isEmpty { reply(user, .wasNoSuchNick(nick)) }
        for entry in matches {
            numeric(user, "314", entry.nick, entry.username, entry.host, "*", entry.realname)
            numeric(user, "312", entry.nick, config.name, config.network)
        }
        numeric(user, "369", nick, "End of WHOWAS")
    }

    func ircIson(_ user: User, _ message: Message) throws(ChatError) {
        let asked = message.params.flatMap { $0.split(separator: " ").map(String.init) }
        let online = asked.compactMap { nicks[Casemapping.fold($0)]?.nick }
        numeric(user, "303", online.joined(separator: " "))
    }

    func ircUserhost(_ user: User, _ message: Message) throws(ChatError) {
        let asked = message.params.flatMap { $0.split(separator: " ").map(String.init) }.prefix(5)
        let replies = asked.compactMap { nicks[Casemapping.fold($0)] }.map { other in
            "\(other.nick)\(other.isOperator ? "*" : "")=\(other.away == nil ? "+" : "-")\(other.username)@\(other.host)"
        }
        numeric(user, "302", replies.joined(separator: " "))
    }

    // MARK: Operators

    func ircOper(_ user: User, _ message: Message) throws(ChatError) {
        guard let password = config.operators[message.params[0]] else { throw .noOperHost }
        guard message.params[1] == password else { throw .passwordMismatch }
        setOperator(user, true)
        numeric(user, "381", "You are now an IRC operator")
        user.send(Message(source: user.prefix, "MODE", user.nick, "+o"))
    }

    func ircKill(_ user: User, _ message: Message) throws(ChatError) {
        guard user.isOperator else { throw .noPrivileges }
        guard let target = nicks[Casemapping.fold(message.params[0])] else { throw .noSuchNick(message.params[0]) }
        let reason = message.params[1]
        if target.isIRC { target.send(Message(source: user.prefix, "KILL", target.nick, reason)) }
        disconnect(target, reason: "Killed (\(user.nick) (\(reason)))",
                   farewell: "You were disconnected by \(user.nick) (\(reason))")
    }

    func ircWallops(_ user: User, _ message: Message) throws(ChatError) {
        guard user.isOperator else { throw .noPrivileges }
        let irc = Message(source: user.prefix, "WALLOPS", message.params[0]).bytes
        for other in nicks.values where other.receivesWallops || other.isOperator {
            other.send(other.isIRC ? irc : Plain.info("WALLOPS from \(user.nick): \(message.params[0])"))
        }
    }
}
