import RelayIRC

/// IRC's user queries and operator commands: WHO, WHOIS, WHOWAS, ISON,
/// USERHOST, OPER, KILL, WALLOPS.
extension ChatServer {
    /// WHO MASK [o] and WHOX (`WHO MASK %FIELDS[,TOKEN]`, answered with 354 lines).
    /// A mask matches a room's members, or users by nick, username, host,
    /// server or realname; `o` keeps only server operators.
    func ircWho(_ user: User, _ message: Message) throws(ChatError) {
        let mask = message.params.first ?? "*"
        let options = message.params.count > 1 ? message.params[1] : ""
        let (flags, whox) = options.firstIndex(of: "%").map { (String(options[..<$0]), String(options[options.index(after: $0)...])) }
            ?? (options, nil)
        let operatorsOnly = flags.contains("o")
        var matched: [(User, Room?)] = []
        if mask.utf8.count > config.maskLength {
            // Too long to be a real mask: matches nothing rather than costing a scan.
        } else if Names.isChannel(mask) {
            if let room = rooms[Casemapping.fold(mask)], isVisible(room, to: user) {
                for member in room.members where (!operatorsOnly || member.isOperator) && canSee(member, from: user) {
                    matched.append((member, room))
                }
            }
        } else {
            for other in nicks.values.sorted(by: { $0.nick < $1.nick })
            where (!operatorsOnly || other.isOperator) && canSee(other, from: user) {
                guard mask == "*" || mask == "0" || [other.nick, other.username, other.host, config.name, other.realname, other.prefix]
                    .contains(where: { Names.matches(mask: mask, $0) }) else { continue }
                matched.append((other, other.rooms.first { isVisible($0, to: user) }))
            }
        }
        for (other, room) in matched {
            if let whox { whoxReply(user, other, room: room, fields: whox) } else { whoReply(user, other, room: room) }
        }
        numeric(user, "315", mask, "End of /WHO list")
    }

    private func whoFlags(_ other: User, _ room: Room?, for viewer: User) -> String {
        var flags = other.away == nil ? "H" : "G"
        if other.isOperator { flags += "*" }
        if let room { flags += room.prefixes(of: other, all: viewer.caps.contains(.multiPrefix)) }
        if other.isBot { flags += "B" }
        return flags
    }

    private func whoReply(_ user: User, _ other: User, room: Room?) {
        numeric(user, "352", room?.name ?? "*", other.username, other.host, serverName(of: other), other.nick, whoFlags(other, room, for: user),
                "0 \(other.realname)")
    }

    /// 354 with the fields asked for, in WHOX's fixed order t c u i h s n f d l a o r.
    private func whoxReply(_ user: User, _ other: User, room: Room?, fields: String) {
        let parts = fields.split(separator: ",", maxSplits: 1)
        let letters = Set(parts.first ?? "")
        let token = parts.count > 1 ? String(parts[1]) : "0"
        var params: [String] = []
        for letter in "tcuihsnfdlaor" where letters.contains(letter) {
            switch letter {
            case "t": params.append(token)
            case "c": params.append(room?.name ?? "*")
            case "u": params.append(other.username)
            case "i": params.append(other.host)
            case "h": params.append(other.host)
            case "s": params.append(serverName(of: other))
            case "n": params.append(other.nick)
            case "f": params.append(whoFlags(other, room, for: user))
            case "d": params.append("0")
            case "l": params.append(String(max(0, (other.lastActivity - other.lastMessageAt).components.seconds)))
            case "a": params.append("0")
            case "o": params.append("n/a")
            default: params.append(other.realname)
            }
        }
        numeric(user, "354", params)
    }

    func ircWhois(_ user: User, _ message: Message) throws(ChatError) {
        let nick = message.params.last!.split(separator: ",").first.map(String.init) ?? ""
        guard let other = nicks[Casemapping.fold(nick)] else {
            reply(user, .noSuchNick(nick))
            return numeric(user, "318", nick, "End of /WHOIS list")
        }
        numeric(user, "311", other.nick, other.username, other.host, "*", other.realname)
        let channels = other.rooms.filter { isVisible($0, to: user) }.map { room -> String in
            room.prefixes(of: other, all: user.caps.contains(.multiPrefix)) + room.name
        }
        if !channels.isEmpty { numeric(user, "319", other.nick, channels.joined(separator: " ")) }
        numeric(user, "312", other.nick, serverName(of: other), config.network)
        if let away = other.away { numeric(user, "301", other.nick, away) }
        if other.isOperator { numeric(user, "313", other.nick, "is an IRC operator") }
        if other.isBot { numeric(user, "335", other.nick, "is a Bot on \(config.network)") }
        if other.isSecure { numeric(user, "671", other.nick, "is using a secure connection") }
        let idle = (other.lastActivity - other.lastMessageAt).components.seconds
        if let account = other.account { numeric(user, "330", other.nick, account, "is logged in as") }
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
        guard let password = config.operators[message.params[0]], message.params[1] == password else {
            log(.warn, "oper-refused", [("client", String(user.id)), ("nick", user.nick), ("name", message.params[0])])
            throw config.operators[message.params[0]] == nil ? .noOperHost : .passwordMismatch
        }
        setOperator(user, true)
        announceUserModes(user)
        log(.info, "oper", [("client", String(user.id)), ("nick", user.nick), ("name", message.params[0])])
        numeric(user, "381", "You are now an IRC operator")
        user.send(Message(source: user.prefix, "MODE", user.nick, "+o"))
    }

    func ircKill(_ user: User, _ message: Message) throws(ChatError) {
        guard user.isOperator else { throw .noPrivileges }
        guard let target = nicks[Casemapping.fold(message.params[0])] else { throw .noSuchNick(message.params[0]) }
        let reason = message.params[1]
        log(.info, "kill", [("by", user.nick), ("nick", target.nick), ("reason", reason)])
        // Someone on another node of a cluster: their node disconnects them, and their quit comes back.
        if isRemote(target), clustered(user), let node = cluster?.homes[target.id]?.node {
            return publish(.node(node), Message("KILL", target.nick, reason), about: user)
        }
        kill(target, by: user, reason: reason)
    }

    func kill(_ target: User, by user: User, reason: String) {
        if target.isIRC { target.send(Message(source: user.prefix, "KILL", target.nick, reason)) }
        disconnect(target, reason: "Killed (\(user.nick) (\(reason)))",
                   farewell: "You were disconnected by \(user.nick) (\(reason))")
    }

    func ircWallops(_ user: User, _ message: Message) throws(ChatError) {
        guard user.isOperator else { throw .noPrivileges }
        if clustered(user) { publish(.control, Message("WALLOPS", message.params[0]), about: user) }
        wallops(message.params[0], from: user)
    }

    /// To every operator and +w user here (a cluster's other nodes do the same for theirs).
    func wallops(_ text: String, from user: User) {
        let irc = Message(source: user.prefix, "WALLOPS", text).bytes
        for other in nicks.values where !isRemote(other) && (other.receivesWallops || other.isOperator) {
            other.send(other.isIRC ? irc : Plain.info("WALLOPS from \(user.nick): \(text)"))
        }
    }
}
