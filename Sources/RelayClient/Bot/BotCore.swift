import DequeModule
import RelayIRC

/// One run of a handler, as the host should start it.
public struct HandlerRun: Equatable, Sendable {
    public let id: Int
    /// The handler's prefix ("!uptime"): its name in replies and on stderr.
    public let name: String
    public let command: String
    /// RELAY_NICK, RELAY_ROOM, RELAY_TEXT, RELAY_ARGS, RELAY_SERVER: message text
    /// reaches a script only here and on stdin, never in a command line.
    public let environment: [String: String]
    public let input: String
}

/// What the bot decides; the host carries it out.
public enum BotAction: Equatable, Sendable {
    /// One line (without its newline) for the coprocess's stdin.
    case feedCoprocess(String)
    case startHandler(HandlerRun)
    /// The handler's time is up: kill its process group.
    case killHandler(id: Int)
    case say(to: String, text: String, kind: ChatLine.Kind)
    /// A raw protocol line (only with --allow-raw).
    case raw(String)
    /// A line for relay's stderr.
    case warn(String)
}

/// The bot's policy, with no processes: events in, actions out, a fake clock.
///
/// - Who may trigger: not the bot itself, never a NOTICE (no bot loops), and
///   only `allowNicks`/`allowRooms` when given.
/// - Handlers: first word = prefix; at most `maxHandlers` at once, the rest
///   queued (bounded, then "busy, try later"); a per-nick cooldown; a timeout
///   that kills and says so once; replies cut to `maxReplyLines` plus a note.
/// - The coprocess: every allowed event as one line; each line it prints is
///   routed to the conversation it names, or the one the last event came from.
public final class BotCore {
    public let config: BotConfig
    private var nextID = 0
    private var running: [Int: Running] = [:]
    private var queued = Deque<(run: HandlerRun, replyTo: String)>()
    /// When each folded nick and each host last triggered (the cooldown).
    private var lastTrigger: [String: ContinuousClock.Instant] = [:]
    /// Every trigger together: many nicks from many hosts still cannot make the bot fork without bound.
    private var triggers: TokenBucket?
    /// Said once per spell of refused triggers.
    private var rateWarned = false
    /// Where an unaddressed coprocess line goes: the last event's room, or nick for a private one.
    public private(set) var lastConversation: String?
    /// Nicks that wrote to the bot privately, newest last: `nick text` from the coprocess reaches them.
    private var correspondents: [String] = []

    private struct Running {
        let run: HandlerRun
        let replyTo: String
        let deadline: ContinuousClock.Instant
        var lines: [String] = []
        var extra = 0
        var timedOut = false
    }

    public init(config: BotConfig) {
        self.config = config
        self.lastConversation = config.defaultRoom
    }

    public var runningCount: Int { running.count }
    public var queuedCount: Int { queued.count }

    // MARK: Events

    public func receive(_ event: ClientEvent, ownNick: String, now: ContinuousClock.Instant, unixTime: Int64 = 0) -> [BotAction] {
        guard let (nick, room) = Self.subject(of: event), !Casemapping.equal(nick, ownNick),
              isAllowed(nick: nick, room: room, account: Self.account(of: event)) else {
            return []
        }
        var actions: [BotAction] = []
        if case .chat(let line) = event {
            lastConversation = room ?? nick
            if room == nil { rememberCorrespondent(nick) }
            actions += trigger(line, now: now)
        }
        if config.coprocess {
            let format: OutputFormat = config.json ? .json : .text
            if let line = format.line(for: event, unixTime: unixTime) { actions.append(.feedCoprocess(line)) }
        }
        return actions
    }

    /// Who did it and where, for events a bot may react to; nil for the rest
    /// (notices included: a bot never answers a notice).
    static func subject(of event: ClientEvent) -> (nick: String, room: String?)? {
        switch event {
        // Notices, and history played back (yesterday's "!deploy" is not a request today).
        case .chat(let line): return line.kind == .notice || line.isHistory ? nil : (line.nick, line.room)
        case .join(let room, let nick), .part(let room, let nick, _), .topic(let room, let nick?, _): return (nick, room)
        case .kick(let room, _, let by, _): return (by, room)
        case .quit(let nick, _, _), .nick(let nick, _, _): return (nick, nil)
        default: return nil
        }
    }

    /// The sender's account, where the server tags messages with it (account-tag).
    static func account(of event: ClientEvent) -> String? {
        if case .chat(let line) = event { return line.account }
        return nil
    }

    /// `--allow` takes nick masks, and `account:NAME` for a logged-in account
    /// (which no one can take by changing nick; needs the server's account-tag).
    private func isAllowed(nick: String, room: String?, account: String?) -> Bool {
        if !config.allowNicks.isEmpty && !config.allowNicks.contains(where: { entry in
            if entry.lowercased().hasPrefix("account:") {
                return account.map { Casemapping.equal($0, String(entry.dropFirst(8))) } ?? false
            }
            return Names.matches(mask: entry, nick)
        }) { return false }
        if !config.allowRooms.isEmpty, let room, !config.allowRooms.contains(where: { Casemapping.equal($0, room) }) { return false }
        if !config.allowRooms.isEmpty && room == nil && config.allowNicks.isEmpty { return false }
        return true
    }

    private func rememberCorrespondent(_ nick: String) {
        correspondents.removeAll { Casemapping.equal($0, nick) }
        correspondents.append(nick)
        if correspondents.count > 100 { correspondents.removeFirst() }
    }

    // MARK: Handlers

    private func trigger(_ line: ChatLine, now: ContinuousClock.Instant) -> [BotAction] {
        guard line.kind == .message else { return [] }
        let word = String(line.text.prefix { $0 != " " })
        let handler = config.handlers.first { $0.prefix == word }
        guard handler != nil || (word == "!help" && !config.handlers.isEmpty) else { return [] }
        // Per nick and per host: a nick change does not reset the cooldown.
        let keys = ["nick:" + Casemapping.fold(line.nick)] + (line.host.map { ["host:" + $0.lowercased()] } ?? [])
        if keys.contains(where: { key in lastTrigger[key].map { now - $0 < config.cooldown } ?? false }) { return [] }
        for key in keys { lastTrigger[key] = now }
        if lastTrigger.count > 10_000 { lastTrigger = lastTrigger.filter { now - $0.value < config.cooldown } }
        if triggers == nil { triggers = TokenBucket(burst: config.triggerBurst, rate: config.triggerRate, now: now) }
        guard triggers!.take(now: now) else {
            defer { rateWarned = true }
            return rateWarned ? [] : [.warn("more than \(config.triggerBurst) triggers at once and \(config.triggerRate) a second after: ignoring the excess")]
        }
        rateWarned = false
        let replyTo = line.room ?? line.nick
        guard let handler else {
            let names = config.handlers.map(\.prefix).joined(separator: ", ")
            return [.say(to: replyTo, text: "Commands: \(names)", kind: .message)]
        }
        nextID += 1
        let args = String(line.text.dropFirst(word.count).drop { $0 == " " })
        let run = HandlerRun(id: nextID, name: handler.prefix, command: handler.command, environment: [
            "RELAY_NICK": line.nick, "RELAY_ROOM": line.room ?? "", "RELAY_TEXT": line.text,
            "RELAY_ARGS": args, "RELAY_SERVER": config.server,
        ], input: line.text + "\n")
        if running.count < config.maxHandlers { return start(run, replyTo: replyTo, now: now) }
        guard queued.count < config.handlerQueueLimit else {
            return [.say(to: replyTo, text: "\(handler.prefix): busy, try later", kind: .message)]
        }
        queued.append((run, replyTo))
        return []
    }

    private func start(_ run: HandlerRun, replyTo: String, now: ContinuousClock.Instant) -> [BotAction] {
        running[run.id] = Running(run: run, replyTo: replyTo, deadline: now + config.handlerTimeout)
        return [.startHandler(run)]
    }

    /// A line the handler printed. Only the first `maxReplyLines` are kept; the rest are counted.
    public func handlerOutput(id: Int, line: String) {
        guard var entry = running[id], !entry.timedOut, line.contains(where: { $0 != " " && $0 != "\t" }) else { return }
        if entry.lines.count < config.maxReplyLines { entry.lines.append(line) } else { entry.extra += 1 }
        running[id] = entry
    }

    /// The handler's process is gone: its reply, and the next queued run.
    public func handlerExited(id: Int, status: Int32, now: ContinuousClock.Instant) -> [BotAction] {
        guard let entry = running.removeValue(forKey: id) else { return [] }
        var actions: [BotAction] = []
        if !entry.timedOut {
            for line in entry.lines { actions.append(.say(to: entry.replyTo, text: line, kind: .message)) }
            if entry.extra > 0 {
                actions.append(.say(to: entry.replyTo, text: "… (\(entry.extra) more line\(entry.extra == 1 ? "" : "s"))", kind: .message))
            }
            if status > 128 {
                // Killed (or its shell said so): what it printed may be cut short; never pass that off as the answer.
                actions.append(.say(to: entry.replyTo, text: "\(entry.run.name) was killed by signal \(status - 128)", kind: .message))
            } else if entry.lines.isEmpty && status != 0 {
                actions.append(.say(to: entry.replyTo, text: "\(entry.run.name) failed (exit \(status))", kind: .message))
            }
        }
        if let next = queued.popFirst() { actions += start(next.run, replyTo: next.replyTo, now: now) }
        return actions
    }

    public var nextDeadline: ContinuousClock.Instant? {
        running.values.filter { !$0.timedOut }.map(\.deadline).min()
    }

    /// Handlers past their time: killed, and one error reply each. They keep
    /// their slot until their process is gone (so never more than `maxHandlers` live).
    public func tick(now: ContinuousClock.Instant) -> [BotAction] {
        var actions: [BotAction] = []
        for (id, entry) in running.sorted(by: { $0.key < $1.key }) where !entry.timedOut && entry.deadline <= now {
            running[id]?.timedOut = true
            let seconds = config.handlerTimeout.components.seconds
            actions.append(.killHandler(id: id))
            actions.append(.say(to: entry.replyTo, text: "\(entry.run.name): timed out after \(seconds) s", kind: .message))
        }
        return actions
    }

    // MARK: Backpressure

    /// A reply (a handler's line) when `backlog` lines already wait for the
    /// pacer: said, or dropped (with a line on stderr) past the limit.
    public func mayQueueReply(backlog: Int) -> Bool { backlog < config.replyBacklogLimit }

    /// The coprocess is read no further while this many lines wait, and again
    /// once they are down to `resumeAt`: nothing it prints is lost, nothing grows.
    public var holdCoprocessAt: Int { config.replyBacklogLimit }
    public var resumeCoprocessAt: Int { config.replyBacklogLimit / 2 }

    // MARK: The coprocess's lines

    /// One line the coprocess printed, routed.
    public func coprocessLine(_ line: String) -> [BotAction] {
        config.json ? jsonLine(line) : textLine(line)
    }

    private func textLine(_ line: String) -> [BotAction] {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return [] }
        if line.hasPrefix("/raw ") { return raw(String(line.dropFirst(5))) }
        if line.hasPrefix("/me ") { return say(String(line.dropFirst(4)), to: nil, kind: .action) }
        let word = String(line.prefix { $0 != " " })
        let rest = String(line.dropFirst(word.count + 1))
        if !rest.isEmpty && (Names.isValidChannel(word, maxLength: 200)
                             || correspondents.contains(where: { Casemapping.equal($0, word) })) {
            return say(rest, to: word, kind: .message)
        }
        return say(line, to: nil, kind: .message)
    }

    private func jsonLine(_ line: String) -> [BotAction] {
        guard line.contains(where: { $0 != " " && $0 != "\t" }) else { return [] }
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            return [.warn("the script printed a line that is not JSON (\(error)): \(Self.excerpt(line))")]
        }
        guard case .object(let fields) = value else { return [.warn("the script printed JSON that is not an object: \(Self.excerpt(line))")] }
        if let text = fields["raw"]?.stringValue { return raw(text) }
        let target = fields["to"]?.stringValue
        for (key, kind) in [("text", ChatLine.Kind.message), ("action", .action), ("notice", .notice)] {
            if let text = fields[key]?.stringValue { return say(text, to: target, kind: kind) }
        }
        return [.warn("the script printed an object with no \"text\", \"action\" or \"notice\": \(Self.excerpt(line))")]
    }

    private func say(_ text: String, to target: String?, kind: ChatLine.Kind) -> [BotAction] {
        if let target, !Self.isTarget(target) {
            return [.warn("the script sent to \"\(Self.excerpt(target))\", which is not a room or a nick")]
        }
        guard let to = target ?? lastConversation else {
            return [.warn("the script said something before any event named a room: \(Self.excerpt(text))")]
        }
        guard !text.isEmpty else { return [] }
        return [.say(to: to, text: text, kind: kind)]
    }

    private func raw(_ line: String) -> [BotAction] {
        guard config.allowRaw else { return [.warn("refused a raw line from the script (--allow-raw allows them): \(Self.excerpt(line))")] }
        return [.raw(line)]
    }

    /// One word a server can take as a room or a nick: no space, comma or control
    /// byte, not starting with ":" (found by fuzzing: `"to": ""` went to "*", `"a b"` to "a_b").
    static func isTarget(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 200 && !text.hasPrefix(":")
            && text.utf8.allSatisfy { $0 > 32 && $0 != UInt8(ascii: ",") && $0 != 127 }
    }

    private static func excerpt(_ text: String) -> String {
        text.count > 80 ? String(text.prefix(80)) + "…" : text
    }
}
