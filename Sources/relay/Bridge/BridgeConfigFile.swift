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
///     [networks.b]
///     host = "irc.b.example"
///     tls = true                  # port 6697 unless given
///     ca_file = "/etc/relay/b-ca.pem"         # also insecure, client_cert, client_key
///     sasl_user = "relaybot"                  # SASL PLAIN; sasl_mechanism = "external" with client_cert
///     sasl_password_file = "/etc/relay/b.sasl"  # or sasl_password_env
///
///     [networks.c]
///     host = "127.0.0.1"
///     port = 9000
///     plain = true                # a plain line-chat server (ncat --chat), one room
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

    static let networkKeys = ["host", "port", "nick", "password_file", "password_env", "rate", "label",
                              "tls", "ca_file", "insecure", "client_cert", "client_key",
                              "sasl_mechanism", "sasl_user", "sasl_password_file", "sasl_password_env", "plain"]

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
            for key in table.keys where !Self.networkKeys.contains(key) {
                throw fail(at(key), "unknown setting \(key) for network \(name)")
            }
            guard let host = table["host"]?.string, !host.isEmpty else { throw fail(header, "network \(name) needs a host") }
            var network = BridgeNetwork(name: name, host: host, nick: nick, rate: rate)
            if let value = table["tls"] {
                guard let on = value.bool else { throw fail(at("tls"), "tls must be true or false") }
                if on {
                    network.tls = TLSSettings()
                    network.port = ClientTarget.defaultTLSPort
                }
            }
            if let value = table["plain"] {
                guard let on = value.bool else { throw fail(at("plain"), "plain must be true or false") }
                guard !on || table["tls"] == nil else { throw fail(at("plain"), "a plain chat server takes no tls") }
                guard !on || table["port"] != nil else { throw fail(at("plain"), "a plain chat server needs its port") }
                if on { network.plainRoom = ClientTarget.plainRoom }  // named by its group below
            }
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
            // TLS files and the SASL login.
            for key in ["ca_file", "client_cert", "client_key"] where table[key] != nil {
                guard let file = table[key]?.string, !file.isEmpty else { throw fail(at(key), "\(key) must be a path") }
                guard network.tls != nil else { throw fail(at(key), "\(key) needs tls = true") }
                switch key {
                case "ca_file": network.tls?.caFile = file
                case "client_cert": network.tls?.clientCert = file
                default: network.tls?.clientKey = file
                }
            }
            if let value = table["insecure"] {
                guard let on = value.bool else { throw fail(at("insecure"), "insecure must be true or false") }
                guard network.tls != nil || !on else { throw fail(at("insecure"), "insecure needs tls = true") }
                network.tls?.insecure = on
            }
            if let value = table["sasl_mechanism"] {
                guard let text = value.string, let mechanism = SASLLogin.Mechanism(rawValue: text.uppercased()) else {
                    throw fail(at("sasl_mechanism"), "sasl_mechanism must be \"plain\" or \"external\"")
                }
                guard mechanism == .plain || network.tls?.clientCert != nil else {
                    throw fail(at("sasl_mechanism"), "sasl_mechanism = \"external\" needs tls = true and client_cert")
                }
                network.sasl = SASLLogin(mechanism: mechanism)
            }
            if let value = table["sasl_user"] {
                guard let user = value.string, !user.isEmpty else { throw fail(at("sasl_user"), "sasl_user must be an account name") }
                if network.sasl == nil { network.sasl = SASLLogin(mechanism: .plain) }
                network.sasl?.user = user
            }
            if network.sasl?.mechanism == .plain {
                guard network.sasl?.user.isEmpty == false else { throw fail(header, "network \(name): SASL PLAIN needs sasl_user") }
                if let value = table["sasl_password_file"] {
                    guard let file = value.string else { throw fail(at("sasl_password_file"), "sasl_password_file must be a path") }
                    do {
                        network.sasl?.password = try Secrets.read(file: file, environment: "") ?? ""
                    } catch {
                        throw fail(at("sasl_password_file"), "\(error)")
                    }
                } else if let value = table["sasl_password_env"] {
                    guard let variable = value.string, let secret = try? Secrets.read(file: nil, environment: variable) else {
                        throw fail(at("sasl_password_env"), "\(table["sasl_password_env"]?.string ?? "the variable") is not set")
                    }
                    network.sasl?.password = secret
                } else {
                    throw fail(at("sasl_user"), "network \(name): give the SASL password with sasl_password_file or sasl_password_env")
                }
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
        // A plain server's one room is what its groups call it, and they must agree.
        for index in networks.indices where networks[index].plainRoom != nil {
            let rooms = Set(groups.flatMap { $0.members }.filter { $0.network == index }.map { Casemapping.fold($0.room) })
            guard rooms.count <= 1 else {
                throw fail(line(of: "networks.\(networks[index].name)"), "network \(networks[index].name) is a plain chat server: one room, named the same in every group")
            }
            networks[index].plainRoom = groups.flatMap { $0.members }.first { $0.network == index }?.room ?? ClientTarget.plainRoom
        }
        return (BridgeSetup(networks: networks, groups: groups), format)
    }
}
