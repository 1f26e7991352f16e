import RelayIRC

/// MONITOR: a client's list of nicks it is told about when they come and go
/// (730 online, 731 offline), with extended-monitor their AWAY, SETNAME and
/// the like too. Bounded by `config.monitorLimit` a client.
extension ChatServer {
    func ircMonitor(_ user: User, _ message: Message) throws(ChatError) {
        let targets = message.params.count > 1
            ? message.params[1].split(separator: ",").map(String.init).filter { !$0.isEmpty } : []
        switch message.params[0] {
        case "+":
            guard !targets.isEmpty else { throw .needMoreParams("MONITOR") }
            var online: [String] = [], offline: [String] = []
            for (index, nick) in targets.enumerated() {
                let folded = Casemapping.fold(nick)
                guard Names.isValidNick(nick, maxLength: config.nickLength) else { continue }
                if !user.monitoring.contains(folded) {
                    guard user.monitoring.count < config.monitorLimit else {
                        numeric(user, "734", String(config.monitorLimit), targets[index...].joined(separator: ","),
                                "Monitor list is full.")
                        break
                    }
                    user.monitoring.insert(folded)
                    monitors[folded, default: []].insert(user.id)
                }
                if let other = nicks[folded] { online.append(other.prefix) } else { offline.append(nick) }
            }
            sendMonitorList(user, "730", online)
            sendMonitorList(user, "731", offline)
        case "-":
            guard !targets.isEmpty else { throw .needMoreParams("MONITOR") }
            for nick in targets { unmonitor(user, Casemapping.fold(nick)) }
        case "C", "c":
            stopMonitoring(user)
        case "L", "l":
            sendMonitorList(user, "732", user.monitoring.sorted().map { nicks[$0]?.nick ?? $0 })
            numeric(user, "733", "End of MONITOR list")
        case "S", "s":
            let sorted = user.monitoring.sorted()
            sendMonitorList(user, "730", sorted.compactMap { nicks[$0]?.prefix })
            sendMonitorList(user, "731", sorted.filter { nicks[$0] == nil })
        default:
            throw .fail(command: "MONITOR", code: "INVALID_PARAMS", context: [message.params[0]], description: "Use MONITOR + - C L or S")
        }
    }

    private func unmonitor(_ user: User, _ folded: String) {
        guard user.monitoring.remove(folded) != nil else { return }
        monitors[folded]?.remove(user.id)
        if monitors[folded]?.isEmpty == true { monitors[folded] = nil }
    }

    /// The user is gone (or cleared the list): nobody is watched for them any more.
    func stopMonitoring(_ user: User) {
        for folded in user.monitoring { unmonitor(user, folded) }
    }

    /// 730/731/732 with comma-separated entries, in as many lines as it takes.
    private func sendMonitorList(_ user: User, _ code: String, _ entries: [String]) {
        guard !entries.isEmpty else { return }
        let room = Message.maxLength - ":\(config.name) \(code) \(user.nick) :".utf8.count
        var line = ""
        for entry in entries {
            if !line.isEmpty && line.utf8.count + 1 + entry.utf8.count > room {
                numeric(user, code, line)
                line = ""
            }
            line += line.isEmpty ? entry : "," + entry
        }
        numeric(user, code, line)
    }

    /// `user` now holds their nick: 730 to whoever watches it.
    func monitorSignedOn(_ user: User) {
        guard let watchers = monitors[Casemapping.fold(user.nick)] else { return }
        for id in watchers { if let watcher = users[id] { numeric(watcher, "730", user.prefix) } }
    }

    /// Nobody holds `nick` any more: 731 to whoever watches it.
    func monitorSignedOff(_ nick: String) {
        guard let watchers = monitors[Casemapping.fold(nick)] else { return }
        for id in watchers { if let watcher = users[id] { numeric(watcher, "731", nick) } }
    }
}
