import RelayIRC

/// draft/chathistory, from the history each room keeps (`config.historyLength`
/// lines; private messages are not kept): LATEST, BEFORE, AFTER, AROUND,
/// BETWEEN and TARGETS, each answered in a batch, oldest line first.
extension ChatServer {
    /// A point in a room's history: a msgid or a time.
    enum HistoryReference {
        case msgid(UInt64)
        case millis(Int64)
    }

    func ircChathistory(_ user: User, _ message: Message) throws(ChatError) {
        let subcommand = message.params[0].uppercased()
        func invalid(_ why: String) -> ChatError {
            .fail(command: "CHATHISTORY", code: "INVALID_PARAMS", context: [subcommand], description: why)
        }
        func limit(at index: Int) throws(ChatError) -> Int {
            guard message.params.count > index, let asked = Int(message.params[index]), asked > 0 else {
                throw invalid("The limit must be a number above 0")
            }
            return min(asked, config.chathistoryLimit)
        }
        func reference(at index: Int, star: Bool = false) throws(ChatError) -> HistoryReference? {
            guard message.params.count > index else { throw invalid("Not enough parameters") }
            let text = message.params[index]
            if star && text == "*" { return nil }
            if text.hasPrefix("timestamp="), let millis = ServerTime.parse(text.dropFirst(10)) { return .millis(millis) }
            if text.hasPrefix("msgid="), let number = MessageID.number(of: String(text.dropFirst(6)), prefix: msgidPrefix) {
                return .msgid(number)
            }
            if text.hasPrefix("msgid=") {
                throw .fail(command: "CHATHISTORY", code: "INVALID_MSGREFTYPE", context: [subcommand, text],
                            description: "Unknown msgid: not one of this server's")
            }
            throw invalid("A reference is msgid=ID or timestamp=TIME")
        }
        if subcommand == "TARGETS" {
            guard case .millis(let from)? = try reference(at: 1), case .millis(let to)? = try reference(at: 2) else {
                throw invalid("TARGETS takes two timestamps")
            }
            return sendHistoryTargets(user, between: min(from, to), and: max(from, to), limit: try limit(at: 3))
        }
        guard ["LATEST", "BEFORE", "AFTER", "AROUND", "BETWEEN"].contains(subcommand) else {
            throw .fail(command: "CHATHISTORY", code: "INVALID_PARAMS", context: [subcommand], description: "Unknown subcommand")
        }
        guard message.params.count > 1 else { throw invalid("Not enough parameters") }
        let target = message.params[1]
        var lines: [HistoryLine] = []
        if Names.isChannel(target) {
            guard let room = rooms[Casemapping.fold(target)], room.contains(user) || user.isOperator else {
                throw .fail(command: "CHATHISTORY", code: "INVALID_TARGET", context: [subcommand, target],
                            description: "Messages could not be retrieved: you are not in \(target)")
            }
            let history = linesForQueries(room)
            switch subcommand {
            case "LATEST":
                let from = try reference(at: 2, star: true), count = try limit(at: 3)
                lines = Array(history[(from.map { after($0, in: history) } ?? 0)...].suffix(count))
            case "BEFORE":
                lines = Array(history[..<before(try reference(at: 2)!, in: history)].suffix(try limit(at: 3)))
            case "AFTER":
                lines = Array(history[after(try reference(at: 2)!, in: history)...].prefix(try limit(at: 3)))
            case "AROUND":
                let point = try reference(at: 2)!, count = try limit(at: 3)
                let center = before(point, in: history)
                let start = max(0, min(center - count / 2, history.count - count))
                lines = Array(history[start..<min(history.count, start + count)])
            default:  // BETWEEN: exclusive at both ends; counted from the first reference
                let first = try reference(at: 2)!, second = try reference(at: 3)!, count = try limit(at: 4)
                let forward = time(of: first, in: history) <= time(of: second, in: history)
                let (low, high) = forward ? (first, second) : (second, first)
                let start = after(low, in: history), end = max(start, before(high, in: history))
                let span = history[start..<end]
                lines = Array(forward ? span.prefix(count) : span.suffix(count))
            }
        } else if nicks[Casemapping.fold(target)] == nil && !Names.isValidNick(target, maxLength: config.nickLength) {
            throw .fail(command: "CHATHISTORY", code: "INVALID_TARGET", context: [subcommand, target],
                        description: "Messages could not be retrieved")
        }
        // Private messages are not kept: a nick's history is an empty batch.
        sendBatch(user, type: "chathistory", params: [target], lines: lines.map { playback($0, in: target) })
    }

    /// A history line as it was said, with its time and msgid.
    private func playback(_ line: HistoryLine, in target: String) -> [UInt8] {
        let text = line.isAction ? CTCP.action(line.text) : line.text
        let rendered = TaggedLine(Message(source: line.source, "PRIVMSG", target, text).bytes, millis: line.millis,
                                  msgid: MessageID(prefix: msgidPrefix, number: line.msgid), account: line.account, bot: line.bot)
        return rendered.bytes(for: .init([.serverTime, .messageTags, .accountTag]))
    }

    /// The index of the first line after `reference`.
    private func after(_ reference: HistoryReference, in history: [HistoryLine]) -> Int {
        switch reference {
        case .msgid(let number): return (history.firstIndex { $0.msgid == number }.map { $0 + 1 }) ?? history.count
        case .millis(let millis): return history.firstIndex { $0.millis > millis } ?? history.count
        }
    }

    /// The index of the first line at or after `reference` (the end of what comes before it).
    private func before(_ reference: HistoryReference, in history: [HistoryLine]) -> Int {
        switch reference {
        case .msgid(let number): return history.firstIndex { $0.msgid == number } ?? 0
        case .millis(let millis): return history.firstIndex { $0.millis >= millis } ?? history.count
        }
    }

    private func time(of reference: HistoryReference, in history: [HistoryLine]) -> Int64 {
        switch reference {
        case .millis(let millis): return millis
        case .msgid(let number): return history.first { $0.msgid == number }?.millis ?? 0
        }
    }

    /// What CHATHISTORY looks through: with `--data`, what the disk keeps of the
    /// room (`--history-lines`, one bounded read) followed by the room's memory,
    /// which holds the newest lines even before the writer has committed them.
    private func linesForQueries(_ room: Room) -> [HistoryLine] {
        guard let persistence, persistence.keptLines > room.historyLimit else { return Array(room.history) }
        let oldestInMemory = room.history.first?.msgid ?? .max
        let older = persistence.recent(room.folded, persistence.keptLines).filter { $0.msgid < oldestInMemory }.map {
            HistoryLine(text: $0.text, isAction: $0.isAction, source: $0.source, sender: -1, millis: $0.millis, msgid: $0.msgid,
                        account: $0.account, bot: $0.bot)
        }
        return older + room.history
    }

    /// TARGETS: the user's rooms with something said between the two times,
    /// each with its latest line's time, oldest first.
    private func sendHistoryTargets(_ user: User, between from: Int64, and to: Int64, limit: Int) {
        var found: [(name: String, millis: Int64)] = []
        for room in user.rooms {
            guard let latest = room.history.last(where: { $0.millis > from && $0.millis < to}) else { continue }
            found.append((room.name, latest.millis))
        }
        found.sort { $0.millis < $1.millis }
        let lines = found.prefix(limit).map {
            Message(source: config.name, "CHATHISTORY", "TARGETS", $0.name, ServerTime.format(millis: $0.millis)).bytes
        }
        sendBatch(user, type: "draft/chathistory-targets", lines: lines)
    }
}
