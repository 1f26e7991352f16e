import RelayClient
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// What `connect` prints on stdout (a script's or a bot's view of the rooms),
/// tied to the server it comes from: while the reader is behind, relay stops
/// reading the server (TCP holds the rest), and reads again once it has caught
/// up. Nothing is dropped, and the loop never waits on the reader, so signals
/// and timers still work when a pipe's reader has stopped.
final class StdoutPrinter {
    private let writer: OutputWriter
    private let client: ClientHost
    /// stdout is someone's terminal (`--stay` or `--verbose` watched live):
    /// what the server sent is stripped of control characters as the chat UI does.
    private let terminal = isatty(STDOUT_FILENO) == 1
    /// A write that was waiting failed: "stdout: REASON".
    var onFailure: ((String) -> Void)?
    private var onDrained: (() -> Void)?

    init(loop: EventLoop, client: ClientHost) {
        writer = OutputWriter(fd: STDOUT_FILENO, loop: loop)
        self.client = client
        writer.onDrained = { [unowned self] in
            self.client.resumeReading()
            onDrained?()
        }
        writer.onBehind = { [unowned client] in client.pauseReading() }
        writer.onFailure = { [unowned self] reason in onFailure?("stdout: \(reason)") }
    }

    /// Prints `line`; "stdout: REASON" when it cannot be written.
    func print(_ line: String) -> String? {
        writer.write(line: terminal ? TerminalStyle.safe(line) : line).map { "stdout: \($0)" }
    }

    /// Before exiting: what still waits is written, running the loop until it
    /// is, the reader is gone, or a signal says stop; unless the run was itself
    /// ended by a signal (`waiting` false): then it is only counted. Says what
    /// was not written, and returns the run's `status`, a failure if it was.
    func finish(_ loop: EventLoop, waiting: Bool, status: Int32) throws -> Int32 {
        guard let problem = try drain(loop, waiting: waiting) else { return status }
        Diagnostics.say(problem)
        return status == ExitStatus.success ? ExitStatus.failure : status
    }

    private func drain(_ loop: EventLoop, waiting: Bool) throws -> String? {
        guard writer.pendingByteCount > 0, writer.failure == nil else { return nil }
        var signalled = !waiting
        if waiting {
            for signo in [SIGINT, SIGTERM, SIGHUP] {
                try loop.onSignal(signo) { _ in
                    signalled = true
                    loop.stop()
                }
            }
            onDrained = { loop.stop() }
            onFailure = { _ in loop.stop() }
        }
        // Something else may stop the loop on the way (a timer of the run that
        // ended): run it again until one of ours did.
        while writer.pendingByteCount > 0, writer.failure == nil, !signalled {
            try loop.run()
        }
        if let failure = writer.failure { return "stdout: \(failure)" }
        let left = writer.pendingByteCount
        return left > 0 ? "stdout: \(left) bytes of output not written (the reader stopped reading)" : nil
    }
}
