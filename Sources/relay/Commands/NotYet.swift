import ArgumentParser

struct Bridge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Relay messages between rooms on two or more servers (not yet implemented).")

    @Argument(help: "irc://host[:port]/#room, two or more")
    var targets: [String] = []

    func run() throws {
        Diagnostics.fail("bridge is not yet implemented", status: ExitStatus.usage)
    }
}
