import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// stderr written through the loop, for `relay serve`: a log nobody reads (a
/// pipe to a stuck logger, a paused terminal multiplexer) must never stall the
/// server. Lines wait in a bounded buffer while the reader is behind; past
/// `behindAt` waiting bytes they are dropped and counted, and once the reader
/// has caught up one line says how many were lost. A terminal or a file is
/// written directly, as before (OutputWriter's rule).
final class StderrSink {
    private let writer: OutputWriter
    private var dropped = 0
    /// Says how many lines were dropped, in the log's own format.
    var reportDropped: (Int) -> String = { "relay: warn log-dropped lines=\($0)" }

    init(loop: EventLoop, behindAt: Int = 64 * 1024) {
        writer = OutputWriter(fd: STDERR_FILENO, loop: loop, behindAt: behindAt, limit: behindAt + 64 * 1024)
        writer.onDrained = { [unowned self] in
            guard dropped > 0 else { return }
            let count = dropped
            dropped = 0
            writer.write(line: reportDropped(count))
        }
        writer.onFailure = { _ in }  // stderr is gone: there is no one left to tell
    }

    func write(_ line: String) {
        let text = line.hasSuffix("\n") ? String(line.dropLast()) : line
        if writer.isBehind {
            dropped += 1
            return
        }
        if writer.write(line: text) != nil { dropped += 1 }
    }

    /// Before exiting: whatever the reader takes now, without waiting for it.
    func flushNow() {
        writer.flush()
    }
}
