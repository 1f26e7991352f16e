import RelayClient
import RelayIRC
import TOMLKit

/// `relay bridge --config FILE`: networks and groups in TOML.
///
///     nick = "relay"                 # defaults for every network
///     rate = 1.0
///     format = "<{nick}> {text}"
///
///     [networks.a]
///     host = "irc.a.example"
///     port = 6667
///     password_file = "/etc/relay/a.pass"    # or password_env = "A_PASSWORD"
///     label = "A"
///
///     [[groups]]
///     name = "dev"
///     members = ["a/#dev", "b/#dev?key"]
///     receive_only = ["b/#announce"]
///     format = "[{network}] <{nick}> {text}"
///
/// Every error names the file and line, and nothing connects before the whole
/// file is valid.
enum BridgeConfigFile {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    struct Defaults {
        var nick: String
        var rate: Double
        var format: String
    }

    static func load(path: String, defaults: Defaults) throws -> (setup: BridgeSetup, format: String) {
        let text: String
        do {
            text = try Secrets.contents(of: path)
        } catch {
            throw Failure(description: "\(error)")
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func fail(_ line: Int, _ why: String) -> Failure { Failure(description: "\(path):\(line): \(why)") }
        /// The first line at or after `start` containing `needle` (1-based), else `start`.
        func line(of needle: String, after start: Int = 1) -> Int {
            for index in max(start, 1)...max(lines.count, 1) where index <= lines.count && lines[index - 1].contains(needle) {
                return index
            }
            return max(start, 1)
        }

        let root: TOMLTable
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw fail(error.source.begin.line, error.description)
        }
        for key in root.keys where !["nick", "rate", "format", "networks", "groups"].contains(key) {
            throw fail(line(of: key), "unknown setting \(key) (expected nick, rate, format, [networks.NAME] or [[groups]])")
        }
        var nick = defaults.nick, rate = defaults.rate, format = defaults.format
        if let value = root["nick"] {
            guard let text = value.string, Names.isValidNick(text, maxLength: 30) else { throw fail(line(of: "nick"), "nick must be a valid nick") }
            nick = text
        }
        if let value = root["rate"] {
            guard let number = value.double ?? value.int.map(Double.init), number == 0 || (0.001...1_000_000).contains(number) else {
                throw fail(line(of: "rate"), "rate must be 0 (off) or 0.001 to 1000000")
            }
            rate = number
        }
        if let value = root["format"] {
            guard let text = value.string else { throw fail(line(of: "format"), "format must be a string") }
            if let problem = BridgeOptions.problem(with: text) { throw fail(line(of: "format"), problem) }
            format = text
        }

        guard let networkTable = root["networks"]?.table, !networkTable.keys.isEmpty else {
            throw fail(1, "no networks: add a [networks.NAME] table with a host")
        }
        var networks: [BridgeNetwork] = []
        for name in networkTable.keys.sorted() {
            let header = line(of: "networks.\(name)")
            guard let table = networkTable[name]?.table else { throw fail(header, "networks.\(name) must be a table") }
            func at(_ key: String) -> Int { line(of: key, after: header) }
            for key in table.keys where !["host", "port", "nick", "password_file", "password_env", "rate", "label"].contains(key) {
                throw fail(at(key), "unknown setting \(key) for network \(name)")
            }
            guard let host = table["host"]?.string, !host.isEmpty else { throw fail(header, "network \(name) needs a host") }
            var network = BridgeNetwork(name: name, host: host, nick: nick, rate: rate)
            if let value = table["port"] {
                guard let port = value.int, (1...65535).contains(port) else { throw fail(at("port"), "port must be 1 to 65535") }
                network.port = port
            }
            if let value = table["nick"] {
                guard let text = value.string, Names.isValidNick(text, maxLength: 30) else { throw fail(at("nick"), "nick must be a valid nick") }
                network.nick = text
            }
            if let value = table["rate"] {
                guard let number = value.double ?? value.int.map(Double.init), number == 0 || (0.001...1_000_000).contains(number) else {
                    throw fail(at("rate"), "rate must be 0 (off) or 0.001 to 1000000")
                }
                network.rate = number
            }
            if let value = table["label"] {
                guard let text = value.string, !text.isEmpty else { throw fail(at("label"), "label must be a string") }
                network.label = text
            }
            if let value = table["password_file"] {
                guard let file = value.string else { throw fail(at("password_file"), "password_file must be a path") }
                do {
                    network.password = try Secrets.read(file: file, environment: "")
                } catch {
                    throw fail(at("password_file"), "\(error)")
                }
            } else if let value = table["password_env"] {
                guard let variable = value.string else { throw fail(at("password_env"), "password_env must be a variable name") }
                guard let secret = try? Secrets.read(file: nil, environment: variable) else {
                    throw fail(at("password_env"), "\(variable) is not set")
                }
                network.password = secret
            }
            networks.append(network)
        }

        guard let groupArray = root["groups"]?.array, !groupArray.isEmpty else {
            throw fail(line(of: "[networks"), "no groups: add a [[groups]] table with members = [\"network/#room\", ...]")
        }
        var groups: [BridgeGroup] = []
        var groupLine = 0
        for (index, value) in groupArray.enumerated() {
            groupLine = line(of: "[[groups]]", after: groupLine + 1)
            guard let table = value.table else { throw fail(groupLine, "groups must be [[groups]] tables") }
            for key in table.keys where !["name", "members", "receive_only", "format"].contains(key) {
                throw fail(line(of: key, after: groupLine), "unknown setting \(key) for a group")
            }
            var group = BridgeGroup(name: table["name"]?.string ?? "group \(index + 1)", members: [])
            if let value = table["format"] {
                guard let text = value.string else { throw fail(line(of: "format", after: groupLine), "format must be a string") }
                if let problem = BridgeOptions.problem(with: text) { throw fail(line(of: "format", after: groupLine), problem) }
                group.format = text
            }
            for (key, receiveOnly) in [("members", false), ("receive_only", true)] {
                guard let entries = table[key] else { continue }
                guard let array = entries.array else { throw fail(line(of: key, after: groupLine), "\(key) must be a list of \"network/#room\"") }
                for entry in array {
                    guard let member = entry.string else { throw fail(line(of: key, after: groupLine), "\(key) must be a list of \"network/#room\"") }
                    let at = line(of: "\"\(member)\"", after: groupLine)
                    guard let slash = member.firstIndex(of: "/") else { throw fail(at, "\(member): expected network/#room") }
                    let name = String(member[..<slash])
                    var room = String(member[member.index(after: slash)...])
                    var key: String?
                    if let mark = room.firstIndex(of: "?") {
                        key = String(room[room.index(after: mark)...])
                        room = String(room[..<mark])
                    }
                    room = ClientTarget.roomName(room)
                    guard let network = networks.firstIndex(where: { $0.name == name }) else {
                        throw fail(at, "\(member): no network called \(name) (networks: \(networks.map(\.name).joined(separator: ", ")))")
                    }
                    guard Names.isValidChannel(room, maxLength: 200) else { throw fail(at, "\(member): \(room) is not a room name") }
                    if let key {
                        guard ClientTarget.isValidKey(key) else { throw fail(at, "\(member): the key is not valid") }
                        networks[network].keys[Casemapping.fold(room)] = key
                    }
                    guard !group.members.contains(where: { $0.network == network && Casemapping.equal($0.room, room) }) else {
                        throw fail(at, "\(member) is named twice in this group")
                    }
                    group.members.append(BridgeEndpoint(network: network, room: room, receiveOnly: receiveOnly))
                }
            }
            guard group.members.count >= 2, group.members.contains(where: { !$0.receiveOnly }) else {
                throw fail(groupLine, "a group needs two or more rooms, one of them in members")
            }
            groups.append(group)
        }
        return (BridgeSetup(networks: networks, groups: groups), format)
    }
}
