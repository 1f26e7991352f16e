import RelayIRC
import RelayServer

/// The chat core fed arbitrary lines from several users at once, with time
/// passing. Every line out is one clean line (CRLF only at its end, no NUL);
/// IRC users' lines fit 512 bytes and parse; nobody hears from a closed
/// connection; the core's bookkeeping stays consistent after every step.
enum ServerTarget {
    /// Three users: a registered IRC client, a plain user and one whose first
    /// fuzzed line decides (the dialect detection is fuzzed too).
    static func runMixed(_ data: [UInt8]) { run(data, plainOnly: false) }

    /// Three plain users: the plain dialect's slash commands and text.
    static func runPlain(_ data: [UInt8]) { run(data, plainOnly: true) }

    private static func run(_ data: [UInt8], plainOnly: Bool) {
        var config = ServerConfig()
        config.name = "fuzz.server"
        config.historyLength = 3
        config.maxListEntries = 3
        config.whowasLength = 3
        config.floodRate = 0
        config.operators = ["oper": "pw"]
        config.motd = ["fuzz"]
        // With state "on disk" (a stand-in): accounts, services, SASL and registered rooms are fuzzed too.
        var persistence = PersistentHistory(msgidPrefix: "f", lastMsgid: 7,
                                            accounts: [AccountRecord(name: "ana", passwordHash: "fake$opensesame", createdMillis: 1)],
                                            recent: { folded, limit in
            Array(repeating: StoredLine(room: folded, text: "old", isAction: false, source: "old!o@h", millis: 1, msgid: 1), count: min(limit, 2))
        }, search: { folded, _, limit in
            Array(repeating: StoredLine(room: folded, text: "found", isAction: true, source: "old!o@h", millis: 1, msgid: 2), count: min(limit, 1))
        })
        var channel = ChannelRecord(name: "#reg", founder: "ana", flags: "nt")
        channel.key = "k"
        channel.masks = [ChannelRecord.Mask(list: "b", mask: "bob!*@*", setBy: "ana", setAt: 1)]
        persistence.channels = [channel]
        let server = ChatServer(config: config, wallClock: { 1_700_000_000 }, persistence: persistence)
        var now = ContinuousClock.now
        let endpoints = plainOnly ? [CheckedEndpoint(irc: false), CheckedEndpoint(irc: false), CheckedEndpoint(irc: false)]
                                  : [CheckedEndpoint(irc: true), CheckedEndpoint(irc: false), CheckedEndpoint(irc: false)]
        for (index, endpoint) in endpoints.enumerated() { server.accept(index + 1, endpoint: endpoint, host: "127.0.0.\(index + 1)", now: now) }
        if !plainOnly {
            // ana negotiated every capability: tags, batches and labels are fuzzed too.
            let caps = "CAP REQ :" + ServerTarget.allCapabilities
            for line in ["CAP LS 302", caps, "NICK ana", "USER ana 0 * :Ana", "CAP END", "JOIN #lobby,#x", "MODE #x +o ana"] {
                server.receive(1, line: ArraySlice(line.utf8), now: now)
            }
        }
        // The plain ones (and the undecided third) speak after the silence that makes them plain.
        server.receive(2, line: ArraySlice("/nick bob".utf8), now: now + .seconds(1))
        if plainOnly { server.receive(3, line: ArraySlice("/nick cy".utf8), now: now + .seconds(1)) }
        check(server)

        for line in lines(data[...]) {
            guard let selector = line.first else { continue }
            if selector & 0x80 != 0 {
                now += .milliseconds(Int64(selector & 0x3F) * 250)
                server.tick(now: now)
            }
            let id = Int(selector % 3) + 1
            let body = line.dropFirst()
            if selector & 0x40 != 0 && body.count > 510 {
                server.receiveTooLong(id, length: body.count, now: now)
            } else {
                server.receive(id, line: body, now: now)
            }
            for job in server.takePasswordJobs() {
                switch job.kind {
                case .hash(let password): server.passwordJobDone(job.id, .hashed("fake$" + password), now: now)
                case .verify(let password, let hash): server.passwordJobDone(job.id, .verified(hash == "fake$" + password), now: now)
                }
            }
            for change in server.takeStateChanges() {
                if case .said(let line) = change { precondition(!line.room.isEmpty && !line.text.contains("\r\n")) }
            }
            check(server)
        }
        server.connectionLost(2, reason: "Remote host closed the connection", now: now)
        check(server)
        server.shutdown(reason: "fuzz over")
    }

    static let allCapabilities = "account-notify account-tag away-notify batch chghost draft/chathistory "
        + "draft/message-redaction draft/read-marker draft/relaymsg echo-message extended-join extended-monitor invite-notify "
        + "labeled-response message-tags multi-prefix sasl server-time setname userhost-in-names"

    private static func check(_ server: ChatServer) {
        if let problem = server.consistencyProblem() { preconditionFailure(problem) }
    }
}
