import RelayIRC

/// Why a user's command did not work, rendered as a numeric for IRC clients
/// and as a readable line for plain users.
enum ChatError: Error, Equatable {
    case noNickGiven
    case erroneousNick(String)
    case nickTooLong(String, limit: Int)
    case nickInUse(String)
    case noSuchNick(String)
    case noSuchChannel(String)
    case notOnChannel(String)
    case cannotSendToChannel(String, why: String)
    case tooManyChannels(String)
    case needMoreParams(String)
    case unknownCommand(String)
    case noTextToSend
    case noRecipient(String)
    case notInARoom
    case alreadyInRoom(String)
    case lineTooLong(Int)
    /// A plain command used wrongly: its usage line.
    case usage(String)
    case lineHasNul
    case notRegistered
    case alreadyRegistered
    case passwordMismatch
    case channelIsFull(String)
    case inviteOnly(String)
    case banned(String)
    case badKey(String)
    case chanOpPrivsNeeded(String)
    case userNotInChannel(String, String)
    case userOnChannel(String, String)
    case unknownMode(String, String)
    case unknownUserMode
    case usersDontMatch
    case noPrivileges
    case noOperHost
    case noOrigin
    case tooManyTargets(String)
    case wasNoSuchNick(String)
    case helpNotFound(String)
    case invalidCapCommand(String)
    case invalidModeParam(String, String, String, String)
    /// An IRCv3 standard reply: `FAIL COMMAND CODE [context…] :description`.
    case fail(command: String, code: String, context: [String], description: String)

    /// The numeric, its parameters after the target nick, and the text.
    var numeric: (code: String, params: [String])? {
        switch self {
        case .noNickGiven: return ("431", ["No nickname given"])
        case .erroneousNick(let nick), .nickTooLong(let nick, _): return ("432", [nick, "Erroneous nickname"])
        case .nickInUse(let nick): return ("433", [nick, "Nickname is already in use"])
        case .noSuchNick(let nick): return ("401", [nick, "No such nick/channel"])
        case .noSuchChannel(let name): return ("403", [name, "No such channel"])
        case .notOnChannel(let name): return ("442", [name, "You're not on that channel"])
        case .cannotSendToChannel(let name, let why): return ("404", [name, "Cannot send to channel (\(why))"])
        case .tooManyChannels(let name): return ("405", [name, "You have joined too many channels"])
        case .needMoreParams(let command): return ("461", [command, "Not enough parameters"])
        case .unknownCommand(let command): return ("421", [command, "Unknown command"])
        case .noTextToSend: return ("412", ["No text to send"])
        case .noRecipient(let command): return ("411", ["No recipient given (\(command))"])
        case .lineTooLong: return ("417", ["Input line was too long"])
        case .notRegistered: return ("451", ["You have not registered"])
        case .alreadyRegistered: return ("462", ["You may not reregister"])
        case .passwordMismatch: return ("464", ["Password incorrect"])
        case .channelIsFull(let name): return ("471", [name, "Cannot join channel (+l)"])
        case .inviteOnly(let name): return ("473", [name, "Cannot join channel (+i)"])
        case .banned(let name): return ("474", [name, "Cannot join channel (+b)"])
        case .badKey(let name): return ("475", [name, "Cannot join channel (+k)"])
        case .chanOpPrivsNeeded(let name): return ("482", [name, "You're not channel operator"])
        case .userNotInChannel(let nick, let name): return ("441", [nick, name, "They aren't on that channel"])
        case .userOnChannel(let nick, let name): return ("443", [nick, name, "is already on channel"])
        case .unknownMode(let mode, _): return ("472", [mode, "is unknown mode char to me"])
        case .unknownUserMode: return ("501", ["Unknown MODE flag"])
        case .usersDontMatch: return ("502", ["Cant change mode for other users"])
        case .noPrivileges: return ("481", ["Permission Denied- You're not an IRC operator"])
        case .noOperHost: return ("491", ["No O-lines for your host"])
        case .noOrigin: return ("409", ["No origin specified"])
        case .tooManyTargets(let target): return ("407", [target, "Too many recipients"])
        case .wasNoSuchNick(let nick): return ("406", [nick, "There was no such nickname"])
        case .helpNotFound(let topic): return ("524", [topic, "No help available on this topic"])
        case .invalidCapCommand(let command): return ("410", [command, "Invalid CAP command"])
        case .invalidModeParam(let target, let mode, let param, let why): return ("696", [target, mode, param, why])
        case .notInARoom, .alreadyInRoom, .lineHasNul, .usage, .fail: return nil
        }
    }

    /// The readable form for plain users.
    var text: String {
        switch self {
        case .noNickGiven: return "Which nick? Usage: /nick NAME"
        case .erroneousNick(let nick):
            return "\"\(nick)\" is not a valid nick: use letters, digits and -[]\\`^_{|}, not starting with a digit or -"
        case .nickTooLong(let nick, let limit): return "\"\(nick)\" is too long for a nick: at most \(limit) characters"
        case .nickInUse(let nick): return "The nick \(nick) is already taken"
        case .noSuchNick(let nick): return "There is no one called \(nick)"
        case .noSuchChannel(let name): return "There is no room called \(name)"
        case .notOnChannel(let name): return "You are not in \(name)"
        case .cannotSendToChannel(let name, let why): return "Cannot send to \(name): \(why)"
        case .tooManyChannels(let name): return "Cannot join \(name): you are in too many rooms"
        case .needMoreParams(let command): return "/\(command.lowercased()) needs more: see /help"
        case .unknownCommand(let command): return "Unknown command /\(command). Type /help for the list"
        case .noTextToSend: return "Nothing to send"
        case .noRecipient: return "To whom? Usage: /msg NICK TEXT"
        case .notInARoom: return "You are not in a room: /join one to talk"
        case .alreadyInRoom(let name): return "You are already in \(name)"
        case .lineTooLong(let length): return "Line too long (\(length) bytes; the limit is \(Message.maxLength)), not sent"
        case .usage(let usage): return "Usage: \(usage)"
        case .lineHasNul: return "Line contains a NUL byte, not sent"
        case .notRegistered: return "Register first"
        case .alreadyRegistered: return "You are already registered"
        case .passwordMismatch: return "Wrong password"
        case .channelIsFull(let name): return "Cannot join \(name): the room is full"
        case .inviteOnly(let name): return "Cannot join \(name): it is invite-only"
        case .banned(let name): return "Cannot join \(name): you are banned"
        case .badKey(let name): return "Cannot join \(name): it needs a key (/join \(name) KEY)"
        case .chanOpPrivsNeeded(let name): return "You are not an operator of \(name)"
        case .userNotInChannel(let nick, let name): return "\(nick) is not in \(name)"
        case .userOnChannel(let nick, let name): return "\(nick) is already in \(name)"
        case .unknownMode(let mode, let name): return "Unknown mode \(mode) for \(name)"
        case .unknownUserMode: return "Unknown user mode"
        case .usersDontMatch: return "You can only change your own modes"
        case .noPrivileges: return "Only server operators can do that"
        case .noOperHost: return "No such operator"
        case .noOrigin: return "PING needs a token"
        case .tooManyTargets(let target): return "Too many recipients (\(target))"
        case .wasNoSuchNick(let nick): return "No one called \(nick) was here recently"
        case .helpNotFound(let topic): return "No help on \(topic)"
        case .invalidCapCommand(let command): return "Invalid CAP command \(command)"
        case .invalidModeParam(let target, let mode, _, let why): return "Cannot set +\(mode) on \(target): \(why)"
        case .fail(_, _, _, let description): return description
        }
    }
}
