@preconcurrency import CReadline
import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// The one interactive chat of this process, for readline's C callbacks (which
/// cannot capture context). nonisolated(unsafe): readline calls back on the
/// loop's thread, inside rl_callback_read_char, the only thread relay has.
nonisolated(unsafe) private var activeUI: ChatUI?

private func lineHandler(_ line: UnsafeMutablePointer<CChar>?) {
    guard let ui = activeUI else { return }
    guard let line else { return ui.endOfInput() }
    let text = String(cString: line)
    free(line)
    ui.submit(text)
}

private func completionHook(_ text: UnsafePointer<CChar>?, _ start: Int32, _ end: Int32)
    -> UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? {
    rl_attempted_completion_over = 1  // never fall back to file names
    guard let ui = activeUI, let text else { return nil }
    ui.prepareCompletions(for: String(cString: text), atLineStart: start == 0)
    return rl_completion_matches(text, completionGenerator)
}

private func completionGenerator(_ text: UnsafePointer<CChar>?, _ state: Int32) -> UnsafeMutablePointer<CChar>? {
    guard let ui = activeUI else { return nil }
    return ui.nextCompletion(reset: state == 0).map { strdup($0) }
}

/// `relay connect` with a terminal: GNU readline in callback mode inside the
/// loop. Incoming lines appear above the prompt; the half-typed line and the
/// cursor stay exactly as they were.
final class ChatUI: ClientHostDelegate, ReadinessHandler {
    private let loop: EventLoop
    private let client: ClientHost
    private let timeout: Duration
    private let style: TerminalStyle
    private var currentRoom: String?
    /// Lines typed while disconnected, sent after rejoining.
    /// Lines typed while disconnected, sent once the connection is back.
    private var offline = OfflineQueue(limit: 100)
    private var quitting = false
    private var exitStatus = ExitStatus.success
    private var interruptArmed = false
    private var insideHandler = false
    private var completions: [String] = []
    private var completionIndex = 0
    private let history: HistoryFile?

    static let commands = ["/join", "/part", "/msg", "/me", "/nick", "/names", "/who", "/topic", "/list",
                           "/switch", "/room", "/raw", "/quit", "/help"]

    init(loop: EventLoop, client: ClientHost, timeout: Duration) {
        self.loop = loop
        self.client = client
        self.timeout = timeout
        self.style = TerminalStyle(colors: getenv("NO_COLOR") == nil && isatty(STDOUT_FILENO) == 1)
        self.currentRoom = client.sessionConfig.rooms.first
        self.history = HistoryFile.standard()
    }

    func run() throws -> Int32 {
        activeUI = self
        client.delegate = self
        // The loop takes the signals: readline's own handlers would act outside it.
        rl_catch_signals = 0
        rl_catch_sigwinch = 0
        rl_attempted_completion_function = completionHook
        rl_readline_name = UnsafePointer(strdup("relay"))
        history?.load()
        rl_callback_handler_install(prompt, lineHandler)
        atexit { rl_callback_handler_remove() }
        try loop.watch(STDIN_FILENO, interest: .read, handler: self)
        try loop.onSignal(SIGINT) { [unowned self] _ in interrupt() }
        try loop.onSignal(SIGTERM) { [unowned self] _ in quit(reason: nil) }
        try loop.onSignal(SIGHUP) { [unowned self] _ in quit(reason: nil) }
        try loop.onSignal(SIGWINCH) { _ in rl_resize_terminal() }
        show(style.info("Connecting to \(client.target.address) as \(client.sessionConfig.nick)..."))
        client.connect(timeout: timeout)
        try loop.run()
        rl_callback_handler_remove()
        fputs("\n", stdout)
        return exitStatus
    }

    private var prompt: String { "[\(TerminalStyle.safe(currentRoom ?? client.target.host))] " }

    // MARK: Terminal

    /// Stdin is readable: one character for readline.
    func handle(_ event: ReadyEvent) {
        interruptArmed = false
        rl_callback_read_char()
    }

    /// Prints a line above the prompt, leaving the typed text and cursor intact.
    func show(_ line: String) {
        if insideHandler {
            fputs(line + "\n", stdout)
        } else {
            rl_clear_visible_line()
            fputs(line + "\n", stdout)
            rl_forced_update_display()
        }
        fflush(stdout)
    }

    private func updatePrompt() {
        rl_set_prompt(prompt)
        if !insideHandler { rl_forced_update_display() }
    }

    /// Ctrl-C clears the line; a second one in a row quits.
    private func interrupt() {
        if interruptArmed { return quit(reason: nil) }
        interruptArmed = true
        rl_replace_line("", 0)
        show(style.info("(Ctrl-C again to quit)"))
    }

    /// Ctrl-D on an empty line.
    func endOfInput() {
        insideHandler = true
        defer { insideHandler = false }
        quit(reason: nil)
    }

    // MARK: Input

    /// A line typed (or pasted: bracketed paste hands several lines at once).
    func submit(_ text: String) {
        insideHandler = true
        defer { insideHandler = false }
        // The line stays on screen as typed; replace it with its log form.
        if text.utf8.count + prompt.utf8.count < Int(terminalWidth()) { fputs("\u{1B}[1A\u{1B}[2K", stdout) }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if !line.allSatisfy({ $0 == " " }) { history?.add(line) }
            command(line)
        }
        updatePrompt()
    }

    private func terminalWidth() -> Int32 {
        var rows: Int32 = 0, columns: Int32 = 0
        rl_get_screen_size(&rows, &columns)
        return columns > 0 ? columns : 80
    }

    /// Carries out what `ChatCommand` says the line means.
    private func command(_ line: String) {
        let command = ChatCommand.parse(line)
        guard let session = client.session, client.isConnected || command.worksOffline else {
            return show(style.info("Not connected: only /quit, /help and /switch work until the connection is back"))
        }
        switch command {
        case .say(let text):
            return say(text, kind: .message)
        case .action(let text):
            return say(text, kind: .action)
        case .join(let room, let key):
            session.join(room, key: key)
        case .part(let room, let reason):
            guard let room = room ?? currentRoom else { return show(style.info("You are not in a room")) }
            session.part(room, reason: reason)
        case .message(let nick, let text):
            session.say(text, to: nick)
            show(style.ownPrivate(to: nick, text: text))
        case .nick(let nick):
            session.changeNick(nick)
        case .names(let room):
            guard let room = room ?? currentRoom else { return show(style.info("Usage: /names ROOM")) }
            session.names(room)
        case .topic(let text):
            guard let room = currentRoom else { return show(style.info("You are not in a room")) }
            session.topic(room, set: text)
        case .list:
            session.list()
        case .switchTo(let wanted):
            guard let wanted, let room = session.rooms.first(where: { Casemapping.equal($0, wanted) }) else {
                return show(style.info("You are in: \(session.rooms.joined(separator: ", "))"))
            }
            currentRoom = room
        case .raw(let line):
            session.raw(line)
        case .quit(let reason):
            return quit(reason: reason)
        case .help:
            for text in ChatCommand.helpText { show(style.info(text)) }
        case .usage(let usage):
            show(style.info("Usage: \(usage)"))
        case .unknown(let name):
            show(style.info("Unknown command \(name). Type /help for the list"))
        }
        client.pump()
    }

    private func say(_ text: String, kind: ChatLine.Kind) {
        guard let room = currentRoom else { return show(style.info("You are not in a room: /join one")) }
        guard text.contains(where: { $0 != " " }) else { return }
        guard let session = client.session, client.isConnected else {
            guard offline.add(text, to: room, kind: kind) else {
                return show(style.info("Not connected, and \(offline.limit) lines already wait: not sent"))
            }
            return show(style.info("Not connected: queued, will be sent when back (\(offline.lines.count) waiting)"))
        }
        session.say(text, to: room, kind: kind)
        client.pump()
        show(style.format(ChatLine(room: room, nick: session.nick, text: text, kind: kind), currentRoom: currentRoom))
    }

    private func quit(reason: String?) {
        if quitting { return loop.stop() }
        quitting = true
        guard client.quit(reason) else { return loop.stop() }
        // The server's close ends the loop (clientDisconnected); this bounds the wait.
        loop.schedule(after: .seconds(2)) { [weak self] in self?.loop.stop() }
    }

    // MARK: Completion

    func prepareCompletions(for text: String, atLineStart: Bool) {
        var candidates: [String] = []
        if atLineStart && text.hasPrefix("/") {
            candidates = Self.commands
        } else if let session = client.session {
            candidates = session.rooms
            if let room = currentRoom { candidates += session.members(of: room) }
        }
        let folded = Casemapping.fold(text)
        completions = candidates.filter { Casemapping.fold($0).hasPrefix(folded) }
        completionIndex = 0
    }

    func nextCompletion(reset: Bool) -> String? {
        if reset { completionIndex = 0 }
        guard completionIndex < completions.count else { return nil }
        defer { completionIndex += 1 }
        return completions[completionIndex]
    }

    // MARK: Session events

    func client(_ client: ClientHost, event: ClientEvent) {
        guard let session = client.session else { return }
        switch event {
        case .registered(let nick):
            show(style.info("Connected to \(client.target.address) as \(nick)"))
            if let room = currentRoom, !client.sessionConfig.rooms.contains(room) { session.join(room) }
            let waiting = offline.takeAll()
            for line in waiting { session.say(line.text, to: line.room, kind: line.kind) }
            if !waiting.isEmpty { show(style.info("Sent \(waiting.count) queued line(s)")) }
        case .joined(let room):
            currentRoom = room
            updatePrompt()
            show(style.info("You joined \(room)"))
        case .part(let room, let nick, _) where Casemapping.equal(nick, session.nick),
             .kick(let room, let nick, _, _) where Casemapping.equal(nick, session.nick):
            if let line = style.event(event) { show(line) }
            if let current = currentRoom, Casemapping.equal(current, room) {
                currentRoom = session.rooms.last
                updatePrompt()
            }
        case .nickInUse(let taken, let next):
            show(style.info("\(taken) is taken; trying \(next)"))
        case .warning(let text):
            show(style.info(text))
        case .names(let room, let nicks):
            show(style.info("\(room): \(nicks.joined(separator: ", "))"))
        case .chat(let line):
            show(style.format(line, currentRoom: currentRoom))
        case .refused(let code, let subject, let text):
            show(style.info("\(subject.map { "\($0): " } ?? "")\(text) (\(code))"))
        case .serverText(let text):
            show(style.info(text))
        case .failed(let failure):
            show(style.info("\(failure)"))
            // Retrying cannot fix a refused password, a ban or a nick no one will give us.
            if failure.isRefusal {
                quitting = true
                exitStatus = failure.exitStatus
            }
            client.close()
        default:
            if let line = style.event(event) { show(line) }
        }
        client.pump()
    }

    func clientDisconnected(_ client: ClientHost, reason: String) {
        if quitting { return loop.stop() }
        // Remember where we were, to rejoin and keep our nick after reconnecting.
        if let session = client.session {
            client.sessionConfig.rooms = session.rooms
            client.sessionConfig.nick = session.nick
        }
        let seconds = client.reconnectLater(timeout: timeout)
        show(style.info("Disconnected (\(reason)); reconnecting in \(seconds) s"))
    }
}
