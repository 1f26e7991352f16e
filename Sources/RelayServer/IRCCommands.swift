import RelayIRC

/// The IRC dialect: parse, check registration and parameters, dispatch.
extension ChatServer {
    /// A command's handler and the parameters it needs at the least.
    struct IRCCommand {
        let minParams: Int
        /// Allowed before registration completes.
        let beforeRegistration: Bool
        let run: (ChatServer) -> (User, Message) throws(ChatError) -> Void

        init(_ minParams: Int = 0, beforeRegistration: Bool = false,
             _ run: @escaping (ChatServer) -> (User, Message) throws(ChatError) -> Void) {
            self.minParams = minParams
            self.beforeRegistration = beforeRegistration
            self.run = run
        }
    }

    static let ircCommands: [String: IRCCommand] = [
        "CAP": IRCCommand(1, beforeRegistration: true, ChatServer.ircCap),
        "PASS": IRCCommand(1, beforeRegistration: true, ChatServer.ircPass),
        "NICK": IRCCommand(0, beforeRegistration: true, ChatServer.ircNick),
        "USER": IRCCommand(4, beforeRegistration: true, ChatServer.ircUser),
        "PING": IRCCommand(0, beforeRegistration: true, ChatServer.ircPing),
        "PONG": IRCCommand(0, beforeRegistration: true, { _ in { _, _ in } }),
        "QUIT": IRCCommand(0, beforeRegistration: true, ChatServer.ircQuit),
        "PRIVMSG": IRCCommand(0, ChatServer.ircPrivmsg),
        "NOTICE": IRCCommand(0, ChatServer.ircNotice),
        "AWAY": IRCCommand(0, ChatServer.ircAway),
        "JOIN": IRCCommand(1, ChatServer.ircJoin),
        "PART": IRCCommand(1, ChatServer.ircPart),
        "TOPIC": IRCCommand(1, ChatServer.ircTopic),
        "NAMES": IRCCommand(0, ChatServer.ircNames),
        "LIST": IRCCommand(0, ChatServer.ircList),
        "INVITE": IRCCommand(0, ChatServer.ircInvite),
        "KICK": IRCCommand(2, ChatServer.ircKick),
        "MODE": IRCCommand(1, ChatServer.ircMode),
        "WHO": IRCCommand(0, ChatServer.ircWho),
        "WHOIS": IRCCommand(1, ChatServer.ircWhois),
        "WHOWAS": IRCCommand(1, ChatServer.ircWhowas),
        "ISON": IRCCommand(1, ChatServer.ircIson),
        "USERHOST": IRCCommand(1, ChatServer.ircUserhost),
        "VERSION": IRCCommand(0, ChatServer.ircVersion),
        "TIME": IRCCommand(0, ChatServer.ircTime),
        "INFO": IRCCommand(0, ChatServer.ircInfo),
        "HELP": IRCCommand(0, ChatServer.ircHelp),
        "HELPOP": IRCCommand(0, ChatServer.ircHelp),
        "LINKS": IRCCommand(0, { server in { user, _ in
            server.numeric(user, "364", server.config.name, server.config.name, "0 \(server.config.network): relay")
            server.numeric(user, "365", "*", "End of /LINKS list")
        } }),
        "MOTD": IRCCommand(0, { server in { user, _ in server.sendMotd(user) } }),
        "LUSERS": IRCCommand(0, { server in { user, _ in server.sendLusers(user) } }),
        "OPER": IRCCommand(2, ChatServer.ircOper),
        "KILL": IRCCommand(2, ChatServer.ircKill),
        "WALLOPS": IRCCommand(1, ChatServer.ircWallops),
        // IRCv3
        "TAGMSG": IRCCommand(1, ChatServer.ircTagmsg),
        "SETNAME": IRCCommand(1, ChatServer.ircSetname),
        "MONITOR": IRCCommand(1, ChatServer.ircMonitor),
        "CHATHISTORY": IRCCommand(1, ChatServer.ircChathistory),
        "MARKREAD": IRCCommand(1, ChatServer.ircMarkread),
        "REDACT": IRCCommand(2, ChatServer.ircRedact),
        "RELAYMSG": IRCCommand(3, ChatServer.ircRelaymsg),
        "REGISTER": IRCCommand(3, ChatServer.ircRegister),
        "AUTHENTICATE": IRCCommand(1, beforeRegistration: true, ChatServer.ircAuthenticate),
    ]

    func handleIRC(_ user: User, line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        // UTF8ONLY: invalid UTF-8 is refused, never relayed (nor silently repaired).
        if !line.allSatisfy({ $0 < 0x80 }) && String(validating: line, as: UTF8.self) == nil {
            let command = (try? Message.parse(line))?.command ?? "*"
            return user.send(Message(source: config.name, command: "FAIL",
                                     params: [command, "INVALID_UTF8", "Message rejected, your IRC software MUST use UTF-8"]))
        }
        let message: Message
        do {
            message = try Message.parse(line)
        } catch .tooLong, .tagsTooLong {
            return reply(user, .lineTooLong(line.count))
        } catch .containsNul {
            return reply(user, .lineHasNul)
        } catch {
            return  // an empty line or junk: ignored, as servers do
        }
        // message-tags: a client's tags (the "@…" word) may take 4094 bytes.
        if line.first == UInt8(ascii: "@"), (line.firstIndex(of: UInt8(ascii: " ")) ?? line.endIndex) - line.startIndex - 1 > 4094 {
            return reply(user, .lineTooLong(line.count))
        }
        // labeled-response: what the command sends back goes out labeled once it is done.
        if user.caps.contains(.labeledResponse), let label = message.tags["label"], !label.isEmpty, label.utf8.count <= 64 {
            user.captured = []
            runIRC(user, message)
            return finishLabeled(user, label: label)
        }
        runIRC(user, message)
    }

    private func runIRC(_ user: User, _ message: Message) {
        guard let command = Self.ircCommands[message.command] else {
            return reply(user, user.registered ? .unknownCommand(message.command) : .notRegistered)
        }
        if !user.registered && !command.beforeRegistration { return reply(user, .notRegistered) }
        if message.params.count < command.minParams { return reply(user, .needMoreParams(message.command)) }
        do {
            try command.run(self)(user, message)
        } catch {
            // No automatic reply may answer a NOTICE (RFC 2812 3.3.2).
            if message.command != "NOTICE" { reply(user, error) }
        }
    }

    // MARK: Registration

    private func ircPass(_ user: User, _ message: Message) throws(ChatError) {
        if user.registered { throw .alreadyRegistered }
        user.passwordGiven = message.params[0]
    }

    private func ircNick(_ user: User, _ message: Message) throws(ChatError) {
        guard let nick = message.params.first, !nick.isEmpty else { throw .noNickGiven }
        if user.registered { return try changeNick(user, to: nick) }
        guard Names.isValidNick(nick, maxLength: config.nickLength) else { throw .erroneousNick(nick) }
        if let holder = nicks[Casemapping.fold(nick)], holder !== user { throw .nickInUse(nick) }
        user.nick = nick
        completeRegistration(user)
    }

    private func ircUser(_ user: User, _ message: Message) throws(ChatError) {
        if user.registered || !user.username.isEmpty { throw .alreadyRegistered }
        let cleaned = message.params[0].utf8.filter { $0 > 0x20 && $0 != UInt8(ascii: "@") && $0 != UInt8(ascii: "!") }
        guard !message.params[3].isEmpty else { throw .needMoreParams("USER") }
        user.username = String(decoding: cleaned.prefix(10), as: UTF8.self)
        if user.username.isEmpty { user.username = "user" }
        user.realname = TextSplitter.prefix(message.params[3], maxBytes: config.realnameLength)
        completeRegistration(user)
    }

    /// Registers once NICK and USER are in and CAP negotiation (if any) is over.
    func completeRegistration(_ user: User) {
        guard !user.registered, user.nick != "*", !user.username.isEmpty, !user.negotiatingCaps else { return }
        if let password = config.password, user.passwordGiven != password {
            reply(user, .passwordMismatch)
            return disconnect(user, reason: "Bad password", farewell: "")
        }
        // A nick is only claimed at registration: someone else may have registered
        // (or renamed to) it since this user's NICK. Ask for another, as at NICK.
        if let holder = nicks[Casemapping.fold(user.nick)], holder !== user {
            let taken = user.nick
            user.nick = "*"
            return reply(user, .nickInUse(taken))
        }
        register(user)
        let name = config.name
        numeric(user, "001", "Welcome to the \(config.network) IRC Network \(user.prefix)")
        numeric(user, "002", "Your host is \(name), running version \(config.version)")
        numeric(user, "003", "This server was created \(Self.formatTime(startedAt))")
        numeric(user, "004", name, config.version, "Biow", "CIbeiklmnostv", "Ibeklov")
        for tokens in isupport.chunked(into: 12) {
            user.send(Message(source: name, command: "005", params: [user.nick] + tokens + ["are supported by this server"]))
        }
        sendLusers(user)
        sendMotd(user)
        claimCheck(user)
    }

    var isupport: [String] {
        [
            "AWAYLEN=\(config.awayLength)", "BOT=B", "CASEMAPPING=rfc1459", "CHATHISTORY=\(config.chathistoryLimit)", "CHANLIMIT=#:\(config.channelsPerUser)",
            "CHANMODES=beI,k,l,Cimnst", "CHANNELLEN=\(config.channelLength)", "CHANTYPES=#",
            "ELIST=CMNTU", "EXCEPTS", "EXTBAN=,m", "INVEX",
            "KICKLEN=\(config.kickLength)", "MAXLIST=b:\(config.maxListEntries),e:\(config.maxListEntries),I:\(config.maxListEntries)", "MAXTARGETS=\(config.maxTargets)", "MODES=4",
            "MONITOR=\(config.monitorLimit)", "MSGREFTYPES=msgid,timestamp",
            "NETWORK=\(config.network)", "NICKLEN=\(config.nickLength)", "PREFIX=(ov)@+",
            "STATUSMSG=@+",
            "TARGMAX=PRIVMSG:\(config.maxTargets),NOTICE:\(config.maxTargets),JOIN:,PART:,NAMES:\(config.maxTargets),WHOIS:1,KICK:\(config.maxTargets)",
            "TOPICLEN=\(config.topicLength)", "UTF8ONLY", "WHOX",
        ]
    }

    func sendLusers(_ user: User) {
        // In a cluster the other nodes' users count as global, not local.
        let registered = nicks.count, remote = remoteUserCount, most = maxRegisteredSeen, servers = serverCount
        let localRegistered = remote == 0 ? registered : nicks.values.reduce(0) { $0 + ($1.id >= 0 ? 1 : 0) }
        let unknown = users.count - remote - localRegistered
        numeric(user, "251", "There are \(registered - invisibleCount) users and \(invisibleCount) invisible on \(servers) servers")
        numeric(user, "252", String(operatorCount), "operator(s) online")
        numeric(user, "253", String(unknown), "unknown connection(s)")
        numeric(user, "254", String(rooms.count), "channels formed")
        numeric(user, "255", "I have \(localRegistered) clients and \(servers - 1) servers")
        numeric(user, "265", String(localRegistered), String(most), "Current local users \(localRegistered), max \(most)")
        numeric(user, "266", String(registered), String(most), "Current global users \(registered), max \(most)")
    }

    func sendMotd(_ user: User) {
        guard let motd = config.motd else { return numeric(user, "422", "MOTD File is missing") }
        numeric(user, "375", "- \(config.name) Message of the day - ")
        for line in motd { numeric(user, "372", "- \(line)") }
        numeric(user, "376", "End of /MOTD command.")
    }

    // MARK: Connection

    private func ircPing(_ user: User, _ message: Message) throws(ChatError) {
        guard let token = message.params.first, !token.isEmpty else { throw .noOrigin }
        user.send(Message(source: config.name, "PONG", config.name, token))
    }

    private func ircQuit(_ user: User, _ message: Message) throws(ChatError) {
        let reason = message.params.first.map { $0.isEmpty ? "Quit" : "Quit: \($0)" } ?? "Quit"
        disconnect(user, reason: reason, farewell: "")
    }

    // MARK: Messages

    private func ircPrivmsg(_ user: User, _ message: Message) throws(ChatError) {
        try deliver(user, message, notice: false)
    }

    private func ircNotice(_ user: User, _ message: Message) throws(ChatError) {
        try deliver(user, message, notice: true)
    }

    private func deliver(_ user: User, _ message: Message, notice: Bool) throws(ChatError) {
        guard let targetList = message.params.first, !targetList.isEmpty else { throw .noRecipient(message.command) }
        guard message.params.count > 1, !message.params[1].isEmpty else { throw .noTextToSend }
        var text = message.params[1]
        var kind: MessageKind = notice ? .notice : .privmsg
        // CTCP ACTION is an action for everyone: plain users see "* nick text".
        if !notice, let action = CTCP.actionText(text) {
            text = action
            kind = .action
        }
        let tags = Self.clientTags(of: message, from: user)
        var seen: Set<String> = []
        let targets = targetList.split(separator: ",").map(String.init).filter { seen.insert(Casemapping.fold($0)).inserted }
        if targets.count > config.maxTargets { throw .tooManyTargets(targetList) }
        for target in targets {
            do {
                try say(user, to: target, text: text, kind: kind, tags: tags)
            } catch {
                if !notice { reply(user, error) }
            }
        }
    }

    // MARK: Server queries

    private func ircVersion(_ user: User, _ message: Message) throws(ChatError) {
        numeric(user, "351", config.version, config.name, "relay chat server")
    }

    private func ircTime(_ user: User, _ message: Message) throws(ChatError) {
        numeric(user, "391", config.name, Self.formatTime(wallClock()))
    }

    private func ircInfo(_ user: User, _ message: Message) throws(ChatError) {
        for line in ["\(config.version): one select loop, plain and IRC users in the same rooms.",
                     "Licensed under the GPL, version 3 or later.",
                     "Up since \(Self.formatTime(startedAt))."] {
            numeric(user, "371", line)
        }
        numeric(user, "374", "End of INFO list")
    }

    private func ircHelp(_ user: User, _ message: Message) throws(ChatError) {
        let topic = (message.params.first ?? "").uppercased()
        if topic.isEmpty {
            numeric(user, "704", "*", "Commands: \(Self.ircCommands.keys.sorted().joined(separator: " "))")
            numeric(user, "706", "*", "Use HELP COMMAND for one command")
            return
        }
        guard let text = IRCHelp.topics[topic] else { throw .helpNotFound(topic) }
        numeric(user, "704", topic, text[0])
        for line in text.dropFirst() { numeric(user, "705", topic, line) }
        numeric(user, "706", topic, "End of /HELP")
    }

    /// "Fri Nov 27 2026 09:00:00 UTC"
    static func formatTime(_ seconds: Int64) -> String {
        CivilTime(unixSeconds: seconds).readable
    }
}

extension Array {
    func chunked(into size: Int) -> [[Element]] {
        stride(from: 0, to: count, by: size).map { Array(self[$0..<Swift.min($0 + size, count)]) }
    }
}
