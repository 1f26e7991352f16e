import RelayIRC

/// IRCv3's commands: TAGMSG, SETNAME, MARKREAD, REDACT (CAP, MONITOR and
/// CHATHISTORY have files of their own).
extension ChatServer {
    /// TAGMSG: tags and nothing else, for message-tags clients only (plain
    /// users and IRC clients that did not ask get nothing).
    func ircTagmsg(_ user: User, _ message: Message) throws(ChatError) {
        try tagmsg(user, to: message.params[0], tags: Self.clientTags(of: message, from: user))
    }

    func tagmsg(_ user: User, to target: String, tags: [UInt8]) throws(ChatError) {
        if Names.isChannel(target) {
            let room = try existingRoom(target)
            if let why = silenced(user, in: room) { throw .cannotSendToChannel(room.name, why: why) }  // +n, +m, +b, muted
            let line = event(Message(source: user.prefix, "TAGMSG", room.name), from: user, msgid: nextMsgid(), clientTags: tags)
            for member in room.members where member !== user && member.caps.contains(.messageTags) { member.send(line) }
            if user.caps.contains(.echoMessage) { user.send(line) }
            if clustered(user) { publish(.room(room.folded), Message("TAGMSG", room.name), about: user, clientTags: tags) }
        } else {
            guard let recipient = nicks[Casemapping.fold(target)] else { throw .noSuchNick(target) }
            let line = event(Message(source: user.prefix, "TAGMSG", recipient.nick), from: user, msgid: nextMsgid(), clientTags: tags)
            if recipient.caps.contains(.messageTags) { recipient.send(line) }
            if user.caps.contains(.echoMessage) { user.send(line) }
            if isRemote(recipient) && clustered(user), let node = cluster?.homes[recipient.id]?.node {
                publish(.node(node), Message("TAGMSG", recipient.nick), about: user, clientTags: tags)
            }
        }
    }

    /// SETNAME: a new realname, told to those who share a room and asked (setname).
    func ircSetname(_ user: User, _ message: Message) throws(ChatError) {
        let realname = message.params[0]
        guard !realname.isEmpty, realname.utf8.count <= config.realnameLength else {
            throw .fail(command: "SETNAME", code: "INVALID_REALNAME", context: [],
                        description: "Realname is empty or longer than \(config.realnameLength) bytes")
        }
        user.realname = realname
        if clustered(user) { publish(.control, Message("SETNAME", realname), about: user) }
        notify(about: user, .setname, event(Message(source: user.prefix, "SETNAME", realname), from: user), includingSelf: true)
    }

    /// AWAY, with away-notify: the change is told to those who share a room and asked.
    func ircAway(_ user: User, _ message: Message) throws(ChatError) {
        if let text = message.params.first, !text.isEmpty {
            user.away = TextSplitter.prefix(text, maxBytes: config.awayLength)
            numeric(user, "306", "You have been marked as being away")
        } else {
            guard user.away != nil else { return numeric(user, "305", "You are no longer marked as being away") }
            user.away = nil
            numeric(user, "305", "You are no longer marked as being away")
        }
        var away = Message(source: user.prefix, "AWAY")
        if let text = user.away { away.params = [text] }
        if clustered(user) { publish(.control, Message(command: "AWAY", params: away.params), about: user) }
        notify(about: user, .awayNotify, event(away, from: user))
    }

    // MARK: draft/read-marker

    /// MARKREAD TARGET [timestamp=T]: sets (never back in time) or asks where
    /// this client has read up to. Kept for the session: serve has no accounts yet.
    func ircMarkread(_ user: User, _ message: Message) throws(ChatError) {
        let target = message.params[0]
        guard Names.isChannel(target) || Names.isValidNick(target, maxLength: config.nickLength) else {
            throw .fail(command: "MARKREAD", code: "INVALID_PARAMS", context: [target], description: "Invalid target")
        }
        if message.params.count > 1 {
            let value = message.params[1]
            guard value.hasPrefix("timestamp="), let millis = ServerTime.parse(value.dropFirst(10)) else {
                throw .fail(command: "MARKREAD", code: "INVALID_PARAMS", context: [target, value], description: "Invalid timestamp")
            }
            let folded = Casemapping.fold(target)
            if millis > user.readMarkers[folded] ?? Int64.min {
                if user.readMarkers.count >= config.channelsPerUser * 2, user.readMarkers[folded] == nil {
                    user.readMarkers.removeAll()  // bounded: a client cannot grow it without end
                }
                user.readMarkers[folded] = millis
            }
        }
        sendReadMarker(user, target: target)
    }

    func sendReadMarker(_ user: User, target: String) {
        let stamp = user.readMarkers[Casemapping.fold(target)].map { "timestamp=" + ServerTime.format(millis: $0) } ?? "*"
        user.send(Message(source: config.name, "MARKREAD", target, stamp))
    }

    // MARK: draft/message-redaction

    /// REDACT #room MSGID [:reason]: the sender, the room's operators and
    /// server operators may take a message back. It leaves the room's history;
    /// clients with message-redaction are told (the others already saw it).
    func ircRedact(_ user: User, _ message: Message) throws(ChatError) {
        let target = message.params[0], id = message.params[1]
        let reason = message.params.count > 2 ? message.params[2] : nil
        guard Names.isChannel(target), let room = rooms[Casemapping.fold(target)], room.contains(user) else {
            throw .fail(command: "REDACT", code: "INVALID_TARGET", context: [target], description: "You cannot delete messages from \(target)")
        }
        guard let number = MessageID.number(of: id, prefix: msgidPrefix),
              let line = room.history.first(where: { $0.msgid == number }) else {
            throw .fail(command: "REDACT", code: "UNKNOWN_MSGID", context: [room.name, id], description: "This message does not exist or is too old")
        }
        guard line.sender == user.id || room.isOperator(user) || user.isOperator else {
            throw .fail(command: "REDACT", code: "REDACT_FORBIDDEN", context: [room.name, id], description: "You are not authorised to delete this message")
        }
        _ = forget(msgid: number, in: room)
        var redact = Message(source: user.prefix, "REDACT", room.name, id)
        if let reason, !reason.isEmpty { redact.params.append(reason) }
        let irc = event(redact, from: user)
        for member in room.members where member.caps.contains(.messageRedaction) { member.send(irc) }
        log(.info, "redact", [("by", user.nick), ("room", room.name), ("msgid", id)])
    }
}

extension ChatServer {
    // MARK: draft/relaymsg

    /// RELAYMSG #room nick/network :text — a bridge says a line as the person
    /// who said it elsewhere: `:ana/libera!relay@bridge-host PRIVMSG #room :text`,
    /// tagged `draft/relaymsg=BRIDGE` for message-tags clients; plain users read
    /// `<ana/libera> text`. For the room's operators (and server operators) who
    /// negotiated the capability; the nick must hold a separator, so it is never
    /// a real user's.
    func ircRelaymsg(_ user: User, _ message: Message) throws(ChatError) {
        let target = message.params[0], nick = message.params[1], text = message.params[2]
        let room = try existingRoom(target)
        guard user.caps.contains(.relaymsg), room.contains(user), room.isOperator(user) || user.isOperator else {
            throw .fail(command: "RELAYMSG", code: "PRIVS_NEEDED", context: [room.name],
                        description: "You must be a channel operator (with draft/relaymsg) to relay messages")
        }
        let separators = Capability.relaySeparators
        guard nick.contains(where: { separators.contains($0) }), nick.utf8.count <= config.nickLength,
              Names.isValidNick(String(nick.map { separators.contains($0) ? "_" : $0 }), maxLength: config.nickLength) else {
            throw .fail(command: "RELAYMSG", code: "INVALID_NICK", context: [nick],
                        description: "A relayed nick is a valid nick with a \(separators) in it")
        }
        guard !text.isEmpty else { throw .noTextToSend }
        let action = CTCP.actionText(text), body = action ?? text, isAction = action != nil
        let source = "\(nick)!relay@\(user.host)"
        let msgid = nextMsgid()
        var relayedBy: [UInt8] = []
        Message.appendTag("draft/relaymsg", user.nick, to: &relayedBy)
        let irc = TaggedLine(Message(source: source, command: "PRIVMSG", params: [room.name, text]).bytes, millis: wallClockMillis(),
                             msgid: msgid, clientTags: relayedBy)
        let plain = Plain.line(isAction ? "* \(nick) \(body)" : "<\(nick)> \(body)")
        for member in room.members where member !== user { member.send(irc: irc, plain: plain) }
        if user.caps.contains(.echoMessage) { user.send(irc) }
        remember(HistoryLine(text: body, isAction: isAction, source: source, sender: user.id,
                             millis: irc.millis, msgid: msgid.number, account: nil, bot: false), in: room)
    }
}
