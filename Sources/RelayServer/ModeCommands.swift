import RelayIRC

/// MODE, for channels (b k l i m n s t o v) and for one's own user (i w o).
extension ChatServer {
    func ircMode(_ user: User, _ message: Message) throws(ChatError) {
        let target = message.params[0]
        if Names.isChannel(target) {
            try channelMode(user, try existingRoom(target), Array(message.params.dropFirst()))
        } else {
            try userMode(user, target, message.params.count > 1 ? message.params[1] : nil)
        }
    }

    func channelMode(_ user: User, _ room: Room, _ args: [String]) throws(ChatError) {
        guard let modes = args.first else {
            numeric(user, "324", [room.name] + room.modes.string(withParameters: room.contains(user)))
            numeric(user, "329", room.name, String(room.createdAt))
            return
        }
        var params = args.dropFirst().makeIterator()
        let privileged = room.isOperator(user) || user.isOperator || isRemote(user)  // a remote change was checked on its node
        var adding = true
        var applied: [(adding: Bool, mode: Character, param: String?)] = []
        var deniedOnce = false
        func mayChange() -> Bool {
            if privileged { return true }
            if !deniedOnce { reply(user, .chanOpPrivsNeeded(room.name)) }
            deniedOnce = true
            return false
        }
        var parameterModes = 0
        var listsSent: Set<Character> = []
        var unknownReported = false
        for mode in modes {
            switch mode {
            case "+": adding = true
            case "-": adding = false
            case "b", "e", "I":
                let list = Self.listModes[mode]!
                guard parameterModes < 4, let mask = params.next() else {
                    // One list per MODE line and mode, however many letters it carries.
                    if listsSent.insert(mode).inserted { sendList(user, room, mode) }
                    continue
                }
                parameterModes += 1
                guard mayChange() else { continue }
                let normalized = Self.normalizeMask(mask)
                if adding && normalized.utf8.count > config.maskLength {
                    reply(user, .invalidModeParam(room.name, String(mode), mask, "Mask too long: at most \(config.maskLength) bytes"))
                    continue
                }
                let exists = room.modes[keyPath: list.path].contains { Casemapping.equal($0.mask, normalized) }
                if adding && !exists && room.modes[keyPath: list.path].count >= config.maxListEntries {
                    numeric(user, "478", room.name, String(mode), "Channel \(list.name) list is full")
                } else if adding && !exists {
                    room.modes[keyPath: list.path].append(Ban(mask: normalized, setBy: user.prefix, setAt: wallClock()))
                    applied.append((true, mode, normalized))
                } else if !adding && exists {
                    room.modes[keyPath: list.path].removeAll { Casemapping.equal($0.mask, normalized) }
                    applied.append((false, mode, normalized))
                }
            case "o", "v":
                guard parameterModes < 4, let nick = params.next() else { continue }
                parameterModes += 1
                guard mayChange() else { continue }
                guard let member = nicks[Casemapping.fold(nick)] else { reply(user, .noSuchNick(nick)); continue }
                guard room.contains(member) else { reply(user, .userNotInChannel(member.nick, room.name)); continue }
                if mode == "o" {
                    if adding { room.operators.insert(member.id) } else { room.operators.remove(member.id) }
                } else {
                    if adding { room.voiced.insert(member.id) } else { room.voiced.remove(member.id) }
                }
                applied.append((adding, mode, member.nick))
            case "k":
                let key = params.next()  // -k takes the key too (ignored)
                guard mayChange() else { continue }
                if adding {
                    // A key is one word of at most 23 bytes: never cut or changed into another key.
                    guard let key, !key.isEmpty, key.utf8.count <= 23, !key.contains(" "), !key.contains(",") else {
                        reply(user, .invalidModeParam(room.name, "k", key ?? "*", "Invalid key: one word of 1 to 23 bytes, no comma"))
                        continue
                    }
                    room.modes.key = key
                    applied.append((true, "k", key))
                } else if room.modes.key != nil {
                    room.modes.key = nil
                    applied.append((false, "k", "*"))
                }
            case "l":
                if adding {
                    guard let limit = params.next().flatMap(Int.init), limit > 0 else { continue }
                    guard mayChange() else { continue }
                    room.modes.limit = limit
                    applied.append((true, "l", String(limit)))
                } else if room.modes.limit != nil {
                    guard mayChange() else { continue }
                    room.modes.limit = nil
                    applied.append((false, "l", nil))
                }
            case "i", "m", "n", "s", "t", "C":
                guard mayChange() else { continue }
                let flag: WritableKeyPath<RoomModes, Bool> = switch mode {
                case "C": \.noCTCP
                case "i": \.inviteOnly
                case "m": \.moderated
                case "n": \.noExternal
                case "s": \.secret
                default: \.topicProtected
                }
                if room.modes[keyPath: flag] != adding {
                    room.modes[keyPath: flag] = adding
                    applied.append((adding, mode, nil))
                }
            default:
                // One reply per MODE line: 480 unknown letters are not 480 replies.
                if !unknownReported { reply(user, .unknownMode(String(mode), room.name)) }
                unknownReported = true
            }
        }
        guard !applied.isEmpty else { return }
        var modeString = ""
        var sign: Bool?
        var modeParams: [String] = []
        for change in applied {
            if sign != change.adding { modeString += change.adding ? "+" : "-"; sign = change.adding }
            modeString.append(change.mode)
            if let param = change.param { modeParams.append(param) }
        }
        let irc = event(Message(source: user.prefix, command: "MODE", params: [room.name, modeString] + modeParams), from: user)
        if clustered(user) { publish(.control, Message(command: "MODE", params: [room.name, modeString] + modeParams), about: user) }
        let plain = Plain.info("\(user.nick) sets mode \(([modeString] + modeParams).joined(separator: " ")) on \(room.name)")
        for member in room.members { member.send(irc: irc, plain: plain) }
        if !room.contains(user) { user.send(irc: irc, plain: plain) }
        persist(room)
    }

    /// The list modes: where each list lives, its numerics (entry, end) and its name.
    static let listModes: [Character: (path: WritableKeyPath<RoomModes, [Ban]>, entry: String, end: String, name: String)] = [
        "b": (\.bans, "367", "368", "ban"),
        "e": (\.exceptions, "348", "349", "exception"),
        "I": (\.inviteExceptions, "346", "347", "invite exception"),
    ]

    private func sendList(_ user: User, _ room: Room, _ mode: Character) {
        let list = Self.listModes[mode]!
        for entry in room.modes[keyPath: list.path] {
            numeric(user, list.entry, room.name, entry.mask, entry.setBy, String(entry.setAt))
        }
        numeric(user, list.end, room.name, "End of channel \(list.name) list")
    }

    /// "bob" becomes "bob!*@*", "*@host" becomes "*!*@host"; an extban's mask
    /// ("m:bob") is completed the same way after its prefix.
    static func normalizeMask(_ mask: String) -> String {
        if mask.hasPrefix("m:") { return "m:" + normalizeMask(String(mask.dropFirst(2))) }
        var result = mask
        if !result.contains("!") && !result.contains("@") { result += "!*@*" }
        else if !result.contains("!") { result = "*!" + result }
        else if !result.contains("@") { result += "@*" }
        return result
    }

    private func userMode(_ user: User, _ nick: String, _ modes: String?) throws(ChatError) {
        guard Casemapping.equal(nick, user.nick) else {
            throw nicks[Casemapping.fold(nick)] == nil ? .noSuchNick(nick) : .usersDontMatch
        }
        guard let modes else {
            return numeric(user, "221", userModeString(user))
        }
        var adding = true
        var changed = ""
        var sign: Bool?
        var unknown = false
        for mode in modes {
            var applies = false
            switch mode {
            case "+": adding = true; continue
            case "-": adding = false; continue
            case "i": applies = user.invisible != adding; setInvisible(user, adding)
            case "w": applies = user.receivesWallops != adding; user.receivesWallops = adding
            case "o": applies = !adding && user.isOperator; if !adding { setOperator(user, false) }
            case "B": applies = user.isBot != adding; user.isBot = adding
            default: unknown = true
            }
            if applies {
                if sign != adding { changed += adding ? "+" : "-"; sign = adding }
                changed.append(mode)
            }
        }
        if unknown { reply(user, .unknownUserMode) }
        if !changed.isEmpty {
            user.send(Message(source: user.prefix, "MODE", user.nick, changed))
            announceUserModes(user)
        }
    }

    func userModeString(_ user: User) -> String {
        "+" + (user.isBot ? "B" : "") + (user.invisible ? "i" : "") + (user.isOperator ? "o" : "") + (user.receivesWallops ? "w" : "")
    }
}
