import ArgumentParser
import RelayClient
import RelayIRC
import RelayServer
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

@main
struct Relay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Line-based chat over TCP: serve a room, chat in one, bridge two.",
        version: "0.1.0",
        subcommands: [Serve.self, Connect.self, Bridge.self])

    /// What followed the subcommand's name on the command line (serve --config re-parses it after the file's).
    /// (nonisolated(unsafe): set once in main before anything else runs.)
    nonisolated(unsafe) static var subcommandArguments: [String] = []

    /// Parses and runs the command. Usage errors exit 2, not ArgumentParser's 64.
    static func main() {
        // First thing, before any thread exists: signals are read through the loop.
        Signals.prepare([SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD, SIGUSR1])
        // Swift's copy of the arguments first; then the passwords in URLs are hidden from ps.
        let arguments = Array(CommandLine.arguments.dropFirst())
        subcommandArguments = Array(arguments.drop { !["serve", "connect", "bridge"].contains($0) }.dropFirst())
        ArgvScrubber.hidePasswordsInURLs()
        do {
            var command = try parseAsRoot(arguments)
            // The docs' tests: every documented command line must still parse and validate.
            if getenv("RELAY_CHECK_USAGE") != nil { Glibc.exit(0) }
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Diagnostics.write(fullMessage(for: error))
                Glibc.exit(ExitStatus.usage)
            }
            let message = fullMessage(for: error)
            if exitCode(for: error) == .success && message.contains("USAGE: ") {
                // --help: the command's help, then three examples of it.
                print(HelpExamples.append(to: message), terminator: "")
                Glibc.exit(0)
            }
            exit(withError: error)
        }
    }
}

/// One-line messages on stderr: "relay: what happened".
/// `connect` and `bridge` filter them with `--log-level` (errors, which end a run
/// or a network, always show) and wrap them with `--log-format json`.
enum Diagnostics {
    typealias Level = ServerLogEvent.Level

    // nonisolated(unsafe), these three: set once by the command before its loop
    // starts, then read on the loop's one thread (relay has no other).
    nonisolated(unsafe) static var level = Level.info
    nonisolated(unsafe) static var json = false

    /// Where lines go instead of a blocking write (serve's bounded stderr).
    nonisolated(unsafe) static var sink: StderrSink?

    static func write(_ text: String) {
        if let sink { return sink.write(text) }
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        _ = OutputWriter.writeAll(STDERR_FILENO, Array(line.utf8))
    }

    /// An error: why a run (or a network) ended.
    static func say(_ text: String) {
        log(.error, text)
    }

    /// Something went wrong and was dealt with (a reconnect, a refused line, a drop).
    static func warn(_ text: String) {
        log(.warn, text)
    }

    /// Progress an operator may want (connected, joined, counters).
    static func info(_ text: String) {
        log(.info, text)
    }

    static func log(_ level: Level, _ text: String) {
        guard level <= self.level || level == .error else { return }
        if json {
            let time = CivilTime(unixSeconds: Int64(Glibc.time(nil))).iso8601
            write(JSONWriter.object([("time", time), ("level", level.name), ("message", text)]))
        } else {
            write("relay: " + text)
        }
    }

    /// Says why and exits with `status`.
    static func fail(_ text: String, status: Int32 = ExitStatus.failure) -> Never {
        say(text)
        sink?.flushNow()
        Glibc.exit(status)
    }
}
