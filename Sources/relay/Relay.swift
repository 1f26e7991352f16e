import ArgumentParser
import RelayClient
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

    /// Parses and runs the command. Usage errors exit 2, not ArgumentParser's 64.
    static func main() {
        // First thing, before any thread exists: signals are read through the loop.
        Signals.prepare([SIGINT, SIGTERM, SIGHUP, SIGWINCH, SIGCHLD, SIGUSR1])
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error) == .validationFailure {
                Diagnostics.write(fullMessage(for: error))
                Glibc.exit(ExitStatus.usage)
            }
            exit(withError: error)
        }
    }
}

/// One-line messages on stderr: "relay: what happened".
enum Diagnostics {
    static func write(_ text: String) {
        var line = text
        if !line.hasSuffix("\n") { line += "\n" }
        _ = line.withCString { fputs($0, stderr) }
    }

    static func say(_ text: String) {
        write("relay: " + text)
    }

    /// Says why and exits with `status`.
    static func fail(_ text: String, status: Int32 = ExitStatus.failure) -> Never {
        say(text)
        Glibc.exit(status)
    }
}
