import RelayIRC

/// CAP (IRCv3 capability negotiation, version 302): LS, LIST, REQ, END.
extension ChatServer {
    func ircCap(_ user: User, _ message: Message) throws(ChatError) {
        switch message.params[0].uppercased() {
        case "LS":
            let version = message.params.count > 1 ? Int(message.params[1]) ?? 0 : 0
            user.capVersion = max(user.capVersion, version)
            // A 302 client has cap-notify without asking (and cannot turn it off).
            if user.capVersion >= 302 { user.caps.insert(.capNotify) }
            if !user.registered { user.negotiatingCaps = true }
            let sts = stsPolicy(for: user).map { ["sts=" + $0] } ?? []
            let withoutAccounts = Set(Capability.names(Capability.needsAccounts))
            let listed = Capability.listing(version: user.capVersion).filter {
                accountsEnabled || !withoutAccounts.contains(String($0.prefix { $0 != "=" }))
            }
            sendCapList(user, "LS", listed + sts)
        case "LIST":
            sendCapList(user, "LIST", Capability.names(user.caps))
        case "REQ":
            if !user.registered { user.negotiatingCaps = true }
            let asked = message.params.count > 1 ? message.params[1] : ""
            let request = Self.capRequest(asked, version: user.capVersion)
            let refused = !accountsEnabled && !(request?.enable.intersection(Capability.needsAccounts).isEmpty ?? true)
            let answer = (refused ? nil : request).map { change in
                user.caps.formUnion(change.enable)
                user.caps.subtract(change.disable)
                return "ACK"
            } ?? "NAK"
            user.send(Message(source: config.name, command: "CAP",
                              params: [capTarget(user), answer, asked.trimmingSpaces]))
        case "END":
            guard !user.registered else { return }  // after registration it means nothing
            user.negotiatingCaps = false
            completeRegistration(user)
        default:
            throw .invalidCapCommand(message.params[0])
        }
    }

    /// A CAP REQ is all or nothing: every name must be one we offer, and
    /// cap-notify stays on for a 302 client. Nil when it is refused.
    static func capRequest(_ asked: String, version: Int) -> (enable: Capability, disable: Capability)? {
        var enable: Capability = [], disable: Capability = []
        let words = asked.split(separator: " ")
        guard !words.isEmpty else { return nil }
        for word in words {
            let removing = word.hasPrefix("-")
            guard let capability = Capability.named(String(removing ? word.dropFirst() : word)) else { return nil }
            if removing {
                if capability == .capNotify && version >= 302 { return nil }
                disable.insert(capability)
            } else {
                enable.insert(capability)
            }
        }
        return (enable, disable)
    }

    private func capTarget(_ user: User) -> String { user.registered ? user.nick : "*" }

    /// IRCv3 STS, for 302 clients when the operator asked for it: a plain
    /// connection is told the TLS port to upgrade to, a TLS one how long to
    /// keep to TLS. Never requested (a REQ for it is refused like an unknown name).
    private func stsPolicy(for user: User) -> String? {
        guard user.capVersion >= 302, let duration = config.stsDuration, let port = config.stsPort else { return nil }
        return user.isSecure ? "duration=\(duration)" : "port=\(port)"
    }

    /// `CAP * LS :…`; for a 302 client a list too long for one line goes in
    /// several, each but the last marked with "*".
    private func sendCapList(_ user: User, _ subcommand: String, _ words: [String]) {
        let target = capTarget(user)
        let overhead = ":\(config.name) CAP \(target) \(subcommand) * :".utf8.count
        let lines = user.capVersion >= 302 ? Capability.pack(words, maxBytes: Message.maxLength - overhead) : [words.joined(separator: " ")]
        for (index, line) in lines.enumerated() {
            let more = index < lines.count - 1 ? ["*"] : []
            user.send(Message(source: config.name, command: "CAP", params: [target, subcommand] + more + [line]))
        }
    }
}

extension String {
    /// Without leading and trailing spaces (no Foundation in the cores).
    var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
