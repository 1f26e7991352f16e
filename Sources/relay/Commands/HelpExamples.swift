/// Three real examples at the end of each command's `--help` (and in its man
/// page, which scripts/generate-manuals.sh builds from that help).
/// ArgumentParser has no epilogue, so `Relay.main` appends these to the help
/// text of the command whose usage line it shows.
enum HelpExamples {
    static let byCommand: [(usage: String, examples: [(String, String)])] = [
        ("relay serve", [
            ("A chat server on 127.0.0.1:6667; people join with `nc 127.0.0.1 6667`:", "relay serve"),
            ("On every address, with TLS on 6697 as well (SIGHUP reloads the files):",
             "relay serve --host 0.0.0.0 --tls-cert /etc/relay/cert.pem --tls-key /etc/relay/key.pem"),
            ("Every option from a TOML file (port = 6697, oper = [\"admin\"], ...); SIGHUP re-reads it:",
             "relay serve --config /etc/relay/serve.toml"),
        ]),
        ("relay connect", [
            ("Chat interactively:", "relay connect irc://irc.libera.chat/#relay --nick ana"),
            ("From cron: one message, exit 0 once the server confirmed it:",
             "relay connect irc://irc.example.org/#ops --nick cron --send \"backup done\""),
            ("A bot whose !uptime runs uptime:", "relay connect irc://irc.example.org/#ops --nick opsbot --on '!uptime=uptime'"),
        ]),
        ("relay bridge", [
            ("Two rooms on two servers, relayed both ways:", "relay bridge irc://irc.a.example/#dev irc://irc.b.example/#dev --nick bridge"),
            ("Several groups and per-network settings from a file (SIGHUP re-reads it):", "relay bridge --config /etc/relay/bridge.toml"),
            ("Relay joins, parts and topics too, as [network] nick: text:",
             "relay bridge irc://a.example/#dev irc://b.example/#dev --relay-events --format '[{network}] {nick}: {text}'"),
        ]),
        ("relay <subcommand>", [
            ("Serve a room:", "relay serve"),
            ("Chat in it from another terminal:", "relay connect irc://127.0.0.1/#lobby"),
            ("Post from a script:", "echo \"deploy finished\" | relay connect irc://127.0.0.1/#lobby --nick deploy"),
        ]),
    ]

    /// `help` with the examples of the command it describes appended.
    static func append(to help: String) -> String {
        guard let usage = help.split(separator: "\n").first(where: { $0.hasPrefix("USAGE: ") }),
              let entry = byCommand.first(where: { usage.hasPrefix("USAGE: " + $0.usage) }) else { return help }
        var text = help.hasSuffix("\n") ? help : help + "\n"
        text += "\nEXAMPLES:\n"
        for (what, command) in entry.examples {
            text += "  \(what)\n    \(command)\n"
        }
        return text
    }
}
