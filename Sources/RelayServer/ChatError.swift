import RelayIRC

/// Why a user's command did not work, rendered as a numeric for IRC clients
/// and as a readable line for plain users.
enum ChatError: Error, Equatable {
    case noNickGiven
    case erroneousNick(String)
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
    case lineHasNul

    /// The numeric, its parameters after the target nick, and the text.
    var numeric: (code: String, params: [String])? {
        switch self {
        case .noNickGiven: return ("431", ["No nickname given"])
        case .erroneousNick(let nick): return ("432", [nick, "Erroneous nickname"])
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
        case .notInARoom, .alreadyInRoom, .lineHasNul: return nil
        }
    }

    /// The readable form for plain users.
    var text: String {
        switch self {
        case .noNickGiven: return "Which nick? Usage: /nick NAME"
        case .erroneousNick(let nick):
            return "\"\(nick)\" is not a valid nick: use letters, digits and -[]\\`^_{|}, not starting with a digit or -"
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
        case .lineHasNul: return "Line contains a NUL byte, not sent"
        }
    }
}
