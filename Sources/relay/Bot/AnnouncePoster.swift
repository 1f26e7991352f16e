import RelayClient
import RelayIRC
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// `relay connect unix:PATH --send TEXT --join '#room'`: posts through a bot's
/// announce socket instead of connecting to the server itself (many cron jobs,
/// one IRC connection). The same exit codes as `--send`: 0 once every line is
/// confirmed, 1 with the first error (or no answer within the timeout).
final class AnnouncePoster: ConnectionDelegate {
    private let loop: EventLoop
    private let path: String
    private let rooms: [String]
    private let texts: [String]
    private let readStdin: Bool
    private let timeout: Duration
    private var connection: Connection?
    private var tally = AnnounceTally()
    private var stdin: PipeReader?
    private var status: Int32 = ExitStatus.failure
    private var done = false
    private var timeoutTimer: TimerID?

    init(loop: EventLoop, path: String, rooms: [String], texts: [String], readStdin: Bool, timeout: Duration) {
        self.loop = loop
        self.path = path
        self.rooms = rooms
        self.texts = texts
        self.readStdin = readStdin
        self.timeout = timeout
    }

    func run() throws -> Int32 {
        for signo in [SIGINT, SIGTERM, SIGHUP] {
            try loop.onSignal(signo) { [unowned self] _ in fail("interrupted") }
        }
        let fd: Int32
        do {
            fd = try UnixSocket.connect(path: path)
        } catch {
            Diagnostics.fail("\(error)")
        }
        let connection = Connection(fd: fd, tag: 0, loop: loop, maxLineLength: 16 * 1024, sendQueueLimit: 1 << 20)
        connection.delegate = self
        try connection.start()
        self.connection = connection
        for text in texts { post(text) }
        if readStdin {
            stdin = try PipeReader(fd: STDIN_FILENO, loop: loop, onFrame: { [unowned self] frame in
                switch frame {
                case .line(let bytes): post(String(decoding: bytes, as: UTF8.self))
                case .tooLong(let length): tally.refuse("stdin: a line of \(length) bytes is longer than 16384 and was not sent")
                }
            }, onEnd: { [unowned self] failure in
                if let failure { return fail("stdin: \(failure)") }
                tally.inputDone = true
                check()
            })
        } else {
            tally.inputDone = true
        }
        let seconds = timeout.components.seconds
        timeoutTimer = loop.schedule(after: timeout) { [weak self] in self?.fail("\(self?.path ?? ""): no answer within \(seconds) s") }
        check()
        try loop.run()
        return status
    }

    private func post(_ text: String) {
        // One line per room; CR and LF would split it into lines the bot reads as others.
        let clean = TextScrub.oneLine(text)
        guard clean.contains(where: { $0 != " " }) else { return }
        for room in rooms {
            tally.post()
            connection?.send(Array("\(room) \(clean)\n".utf8))
        }
    }

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {
        guard case .line(let bytes) = frame else { return }
        tally.reply(String(decoding: bytes, as: UTF8.self))
        // "queued": the bot holds the line and owes it an answer (ok, or an error
        // if it is refused or lost): waiting on is not a failure of ours.
        if tally.queued, let timer = timeoutTimer {
            loop.cancel(timer)
            timeoutTimer = nil
        }
        check()
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        self.connection = nil
        if !done { fail("\(path): the bot closed the socket before answering every line") }
    }

    private func check() {
        guard let outcome = tally.outcome, !done else { return }
        if outcome != ExitStatus.success { return fail(tally.errors.joined(separator: "; ")) }
        finish(outcome)
    }

    private func fail(_ reason: String) {
        guard !done else { return }
        Diagnostics.say(reason)
        finish(ExitStatus.failure)
    }

    private func finish(_ status: Int32) {
        done = true
        self.status = status
        connection?.close()
        loop.stop()
    }
}
