import ArgumentParser

struct Connect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat in a room on any IRC server (not yet implemented).")

    @Argument(help: "irc://host[:port]/#room or host[:port]")
    var target: String?

    func run() throws {
        Diagnostics.fail("connect is not yet implemented", status: ExitStatus.usage)
    }
}

struct Bridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay messages between rooms on two or more servers (not yet implemented).")

    @Argument(help: "irc://host[:port]/#room, two or more")
    var targets: [String] = []

    func run() throws {
        Diagnostics.fail("bridge is not yet implemented", status: ExitStatus.usage)
    }
}
