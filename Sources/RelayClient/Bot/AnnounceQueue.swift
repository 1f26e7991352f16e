import DequeModule
import RelayIRC

/// The announce socket's policy (irccat's model): many writers post `#room text`
/// or `nick text` lines through one connection, and each writer is told `ok`
/// once the server has confirmed the line, or `error REASON` when it was
/// really refused or lost; before that, `queued: ...` when the line has to
/// wait (for the pacer, or for the server to come back), which is news, not an
/// answer.
///
/// Confirmation is the PING receipt `--send` uses: the server answers PINGs in
/// order, so its PONG proves every line before it was processed. A refusal
/// (404, 401, 475...) arriving before that PONG belongs to the oldest
/// unconfirmed line for the target it names. A line sent is never timed out
/// while the connection lives (a slow server, or one whose flood control holds
/// our lines, still delivers them: an error then would make a retrying cron job
/// post twice); losing the connection is its error. Lines posted while the
/// server is down wait for it, each no longer than `timeout`, and are then
/// dropped unsent, so posting them again is safe.
public final class AnnounceQueue {
    public enum Action: Equatable, Sendable {
        /// Send `text` to `target`, joining `target` first when `join` is set.
        case send(target: String, text: String, join: Bool)
        /// One reply line ("ok" or "error ...") for a writer.
        case reply(writer: Int, text: String)
    }

    private struct Entry {
        /// -1 once the writer hung up: nobody to tell.
        var writer: Int
        let target: String
        let text: String
        /// Only while waiting for a connection: a sent line has no deadline.
        let deadline: ContinuousClock.Instant
        var token: String?
        var error: String?
        /// When it was handed to the session, and whether its writer was told it is still on its way.
        var sentAt: ContinuousClock.Instant?
        var noted = false
    }

    /// A sent line still unconfirmed after this is news for its writer (`queued:
    /// sent, ...`): a server's flood control may hold it for minutes, and the
    /// writer should wait for the answer rather than give up and post again.
    public var noteAfter: Duration { min(.seconds(2), timeout / 2) }

    public let timeout: Duration
    public let limit: Int
    /// Posted while not connected: sent once registered.
    private var waiting = Deque<Entry>()
    /// Sent, awaiting the server's confirmation, in sending order.
    private var sent = Deque<Entry>()
    /// Rooms joined or being joined on this connection, folded.
    private var rooms: Set<String> = []
    private var connected = false

    public init(timeout: Duration, limit: Int = 1000) {
        self.timeout = timeout
        self.limit = limit
    }

    public var pendingCount: Int { waiting.count + sent.count }

    /// A line from `writer`: `#room text` or `nick text`. `backlog`: lines
    /// already waiting for the pacer ahead of it.
    public func submit(_ line: String, from writer: Int, now: ContinuousClock.Instant, backlog: Int = 0) -> [Action] {
        let target = String(line.prefix { $0 != " " })
        let text = String(line.dropFirst(target.count + 1))
        guard !text.isEmpty, Names.isValidChannel(target, maxLength: 200) || Names.isValidNick(target, maxLength: 64) else {
            return [.reply(writer: writer, text: "error expected '#room text' or 'nick text'")]
        }
        guard pendingCount < limit else {
            return [.reply(writer: writer, text: "error busy: \(pendingCount) lines are waiting; try later")]
        }
        var entry = Entry(writer: writer, target: target, text: text, deadline: now + timeout)
        guard connected else {
            waiting.append(entry)
            return [.reply(writer: writer, text: "queued: waiting for the server (at most \(timeout.components.seconds) s)")]
        }
        entry.sentAt = now
        if backlog > 0 {
            entry.noted = true
            return [.reply(writer: writer, text: "queued: \(backlog) line\(backlog == 1 ? "" : "s") ahead"), send(entry)]
        }
        return [send(entry)]
    }

    /// Whether a reply is news (`queued: ...`) rather than a line's answer.
    public static func isNote(_ reply: String) -> Bool { reply.hasPrefix("queued") }

    private func send(_ entry: Entry) -> Action {
        sent.append(entry)
        let folded = Casemapping.fold(entry.target)
        let join = Names.isChannel(entry.target) && !rooms.contains(folded)
        if join { rooms.insert(folded) }
        return .send(target: entry.target, text: entry.text, join: join)
    }

    /// Lines sent since the last call need a confirmation: the host queues a PING
    /// behind them and gives its token here.
    public var needsConfirmation: Bool { sent.contains { $0.token == nil } }

    public func confirmationQueued(token: String) {
        for index in sent.indices where sent[index].token == nil { sent[index].token = token }
    }

    /// The server refused something about `subject` (a room or nick).
    public func refused(code: String, subject: String?, text: String) {
        guard let subject, let index = sent.firstIndex(where: { $0.error == nil && Casemapping.equal($0.target, subject) }) else { return }
        sent[index].error = "\(code) \(text)"
        if ["403", "405", "471", "473", "474", "475"].contains(code) { rooms.remove(Casemapping.fold(subject)) }
    }

    /// The server answered the PING with `token`: every line up to it is done.
    public func confirmed(token: String) -> [Action] {
        guard let last = sent.lastIndex(where: { $0.token == token }) else { return [] }
        let done = sent[...last]
        sent.removeFirst(done.count)
        return done.flatMap { Self.reply($0, $0.error.map { "error \($0)" } ?? "ok") }
    }

    /// Registered on a (new) connection: what waited goes out.
    public func registered(now: ContinuousClock.Instant = .now) -> [Action] {
        connected = true
        rooms.removeAll()
        var actions: [Action] = []
        while var entry = waiting.popFirst() {
            entry.sentAt = now
            actions.append(send(entry))
        }
        return actions
    }

    /// The room is ours (joined), or no longer (parted, kicked).
    public func joined(_ room: String) { rooms.insert(Casemapping.fold(room)) }
    public func left(_ room: String) { rooms.remove(Casemapping.fold(room)) }

    /// The connection is gone: what was sent and not confirmed may or may not have
    /// arrived; the writers are told so (they may post again).
    public func disconnected() -> [Action] {
        connected = false
        rooms.removeAll()
        let lost = sent
        sent.removeAll()
        return lost.flatMap { Self.reply($0, "error the connection to the server was lost before it confirmed the line") }
    }

    /// A writer hung up: its lines still go out, but nobody is told.
    public func writerGone(_ writer: Int) {
        for index in waiting.indices where waiting[index].writer == writer { waiting[index].writer = -1 }
        for index in sent.indices where sent[index].writer == writer { sent[index].writer = -1 }
    }

    public var nextDeadline: ContinuousClock.Instant? {
        let note = sent.first { !$0.noted && $0.writer >= 0 }?.sentAt.map { $0 + noteAfter }
        return [waiting.first?.deadline, note].compactMap { $0 }.min()
    }

    /// Lines past their time: an error each.
    public func tick(now: ContinuousClock.Instant) -> [Action] {
        var actions: [Action] = []
        let seconds = timeout.components.seconds
        while let first = waiting.first, first.deadline <= now {
            waiting.removeFirst()
            actions += Self.reply(first, "error the server was not reachable within \(seconds) s")
        }
        for index in sent.indices where !sent[index].noted && sent[index].writer >= 0 {
            guard let sentAt = sent[index].sentAt, sentAt + noteAfter <= now else { break }
            sent[index].noted = true
            actions += Self.reply(sent[index], "queued: sent, not confirmed by the server yet")
        }
        return actions
    }

    /// The reply for `entry`'s writer, if it is still there to read it.
    private static func reply(_ entry: Entry, _ text: String) -> [Action] {
        entry.writer >= 0 ? [.reply(writer: entry.writer, text: text)] : []
    }
}

/// The writer's side (`relay connect unix:PATH --send TEXT`): one reply per
/// line posted; the run succeeds when every reply is `ok`.
public struct AnnounceTally: Sendable {
    public private(set) var posted = 0
    public private(set) var confirmed = 0
    public private(set) var errors: [String] = []
    public var inputDone = false

    public init() {}

    public mutating func post() { posted += 1 }

    /// A line that could not even be posted (too long): the run fails, naming it.
    public mutating func refuse(_ reason: String) {
        posted += 1  // a line whose answer is known already
        errors.append(reason)
    }

    /// Whether a line waits behind others at the bot: its answer may take longer than one's own timeout.
    public private(set) var queued = false

    /// One reply line from the socket.
    public mutating func reply(_ line: String) {
        if AnnounceQueue.isNote(line) { return queued = true }
        if line == "ok" { confirmed += 1 } else { errors.append(line.hasPrefix("error ") ? String(line.dropFirst(6)) : line) }
    }

    /// The exit status once every line has its answer; nil while some are outstanding.
    public var outcome: Int32? {
        guard inputDone, confirmed + errors.count >= posted else { return nil }
        return errors.isEmpty ? ExitStatus.success : ExitStatus.failure
    }
}
