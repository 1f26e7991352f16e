import RelayIRC

/// The plain dialect: every line is a message to the user's room, unless it
/// starts with "/" (then it is a command; "//" sends a line starting with "/").
extension ChatServer {
    func handlePlain(_ user: User, line: ArraySlice<UInt8>) {
        if line.count > Message.maxLength { return reply(user, .lineTooLong(line.count)) }
        if line.contains(0) { return reply(user, .lineHasNul) }
        let text = String(decoding: line, as: UTF8.self)
        if user.awaitingPassword {
            guard text == config.password else {
                return disconnect(user, reason: "Bad password", farewell: "Wrong password. Goodbye.")
            }
            return welcomePlain(user)
        }
        if text.allSatisfy({ $0 == " " || $0 == "\t" }) { return }
        do {
            if text.hasPrefix("//") {
                try sayInRoom(user, String(text.dropFirst()), kind: .privmsg)
            } else if text.hasPrefix("/") {
                try plainCommand(user, text)
            } else {
                try sayInRoom(user, text, kind: .privmsg)
            }
        } catch {
            reply(user, error)
        }
    }

    private func sayInRoom(_ user: User, _ text: String, kind: MessageKind) throws(ChatError) {
        guard let room = user.currentRoom else { throw .notInARoom }
        try say(user, to: room.name, text: text, kind: kind)
    }

    private func plainCommand(_ user: User, _ text: String) throws(ChatError) {
        let body = text.dropFirst()
        let name = body.prefix { $0 != " " }
        let argument = body.dropFirst(name.count).drop { $0 == " " }
        let rest = String(argument)
        switch name.lowercased() {
        case "nick":
            // The whole rest: "bad nick!" is refused as it is, never cut to "bad".
            let nick = String(rest.reversed().drop { $0 == " " }.reversed())
            if nick.isEmpty { throw .noNickGiven }
            try changeNick(user, to: nick)
        case "join":
            let words = rest.split(separator: " ").map(String.init)
            guard var name = words.first else { throw .usage("/join ROOM [KEY]") }
            if !Names.isChannel(name) { name = "#" + name }
            join(user, roomName: name, key: words.count > 1 ? words[1] : nil)
        case "part", "leave":
            guard let room = user.currentRoom else { throw .notInARoom }
            part(user, from: room, reason: rest.isEmpty ? nil : rest)
        case "rooms", "list":
            listRooms(user)
        case "who", "names":
            var target = rest.split(separator: " ").first.map(String.init)
            if let name = target, !Names.isChannel(name) { target = "#" + name }
            guard let name = target ?? user.currentRoom?.name else { throw .notInARoom }
            // The same rules as WHO and NAMES: a +s room is not there for outsiders,
            // and its +i members are hidden from those who share no room with them.
            guard let room = rooms[Casemapping.fold(name)], isVisible(room, to: user) else { throw .noSuchChannel(name) }
            let inside = room.contains(user)
            let names = room.members.filter { inside || canSee($0, from: user) }.map { room.decoratedNick($0) }
            user.send(Plain.info("In \(room.name) (\(names.count)): \(Plain.list(names))"))
        case "msg", "query", "tell":
            let parts = rest.split(separator: " ", maxSplits: 1)
            guard let target = parts.first.map(String.init) else { throw .noRecipient("MSG") }
            guard parts.count == 2 else { throw .noTextToSend }
            try say(user, to: target, text: String(parts[1]), kind: .privmsg)
        case "me":
            if rest.isEmpty { throw .usage("/me TEXT") }
            try sayInRoom(user, rest, kind: .action)
            user.send(Plain.line("* \(user.nick) \(rest)"))  // the typed "/me ..." becomes what others see
        case "topic":
            guard let room = user.currentRoom else { throw .notInARoom }
            if rest.isEmpty {
                sendTopic(user, room)
            } else {
                // +t: only the room's operators (or server operators) change it, as for IRC's TOPIC.
                if room.modes.topicProtected && !room.isOperator(user) && !user.isOperator {
                    throw .chanOpPrivsNeeded(room.name)
                }
                setTopic(user, room, to: rest)
            }
        case "register":
            try plainAccountCommand(user, register: true, rest)
        case "login", "identify":
            try plainAccountCommand(user, register: false, rest)
        case "history":
            try plainHistory(user, rest, search: false)
        case "search":
            try plainHistory(user, rest, search: true)
        case "quit", "exit", "bye":
            disconnect(user, reason: rest.isEmpty ? "Quit" : "Quit: \(rest)", farewell: "Goodbye!")
        case "help", "?":
            for line in Plain.help { user.send(Plain.info(line)) }
        default:
            throw .unknownCommand(String(name))
        }
    }

    private func listRooms(_ user: User) {
        let sorted = rooms.values.filter { isVisible($0, to: user) }.sorted { $0.folded < $1.folded }
        user.send(Plain.info("Rooms (\(sorted.count)):"))
        for room in sorted {
            let count = room.contains(user) ? room.members.count : room.members.filter { canSee($0, from: user) }.count
            let people = count == 1 ? "1 person" : "\(count) people"
            let topic = room.topic.map { ": \($0.text)" } ?? ""
            user.send(Plain.info("  \(room.name) (\(people))\(topic)"))
        }
    }
}
