import RelayIRC

/// A password to hash or check, for the host to do off the loop (tens of
/// milliseconds each); the answer comes back through `passwordJobDone`.
public struct PasswordJob: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        case hash(password: String)
        case verify(password: String, hash: String)
    }
    public let id: Int
    public let kind: Kind
}

public enum PasswordResult: Equatable, Sendable {
    case hashed(String)
    case verified(Bool)
    /// The host had no room for the job (too many logins at once): "try again".
    case busy
}

/// Accounts (`serve --data`): REGISTER (draft/account-registration), NickServ's
/// REGISTER and IDENTIFY, the plain `/register` and `/login`, and SASL PLAIN.
/// Passwords are hashed and checked by the host off the loop; a connection has
/// one such job at a time.
extension ChatServer {
    struct PendingLogin {
        enum Purpose {
            case register(String)
            case identify(String)
        }
        let user: ClientID
        let purpose: Purpose
        /// How the answer is given: the command's own replies.
        let via: Via
    }

    enum Via { case registerCommand, nickServ, plain, sasl }

    static let minimumPasswordLength = 8
    /// How long someone may hold a registered nick without logging in to it.
    static let nickClaimGrace: Duration = .seconds(60)

    /// After `user` took a nick: if it is an account that is not theirs, they
    /// have `nickClaimGrace` to log in to it, then they are renamed.
    func claimCheck(_ user: User) {
        guard accountsEnabled, user.registered, let record = accounts[Casemapping.fold(user.nick)],
              !(user.account.map { Casemapping.equal($0, record.name) } ?? false) else {
            // Only when set: writing makes the user's IRCv3 state, which most users never need.
            if user.nickClaimDeadline != nil { user.nickClaimDeadline = nil }
            return
        }
        let deadline = user.lastActivity + Self.nickClaimGrace
        user.nickClaimDeadline = deadline
        serviceNotice(user, "\(user.nick) is a registered account: log in within \(Self.nickClaimGrace.components.seconds) s "
                      + (user.isIRC ? "(/msg NickServ IDENTIFY PASSWORD)" : "(/login PASSWORD)") + " or your nick will be changed")
        schedule(user, at: deadline)
    }

    /// The grace ran out: a free guest nick instead.
    func enforceNickClaim(_ user: User) {
        user.nickClaimDeadline = nil
        var number = user.id
        var guest = "Guest\(number)"
        while nicks[Casemapping.fold(guest)] != nil {
            number += 1000
            guest = "Guest\(number)"
        }
        let taken = user.nick
        try? changeNick(user, to: guest)
        serviceNotice(user, "You did not log in to \(taken) in time; you are now \(user.nick)")
        log(.info, "nick-reclaimed", [("nick", taken), ("now", user.nick)])
    }
    static let nickServ = "NickServ"

    var accountsEnabled: Bool { persistence != nil }

    /// Jobs for the host to run off the loop.
    public func takePasswordJobs() -> [PasswordJob] {
        defer { passwordJobs.removeAll() }
        return passwordJobs
    }

    /// What a job found; the login or registration it was for goes on (if its connection is still here).
    public func passwordJobDone(_ id: Int, _ result: PasswordResult, now: ContinuousClock.Instant) {
        guard let pending = pendingLogins.removeValue(forKey: id), let user = users[pending.user] else { return }
        user.loginInProgress = false
        switch (pending.purpose, result) {
        case (.register(let name), .hashed(let hash)):
            guard accounts[Casemapping.fold(name)] == nil else { return refuse(user, pending.via, .exists(name)) }
            let record = AccountRecord(name: name, passwordHash: hash, createdMillis: wallClockMillis())
            accounts[Casemapping.fold(name)] = record
            stateChanges.append(.account(record))
            log(.info, "account-registered", [("account", name), ("nick", user.nick)])
            switch pending.via {
            case .registerCommand:
                user.send(Message(source: config.name, command: "REGISTER", params: ["SUCCESS", name, "Account created"]))
            case .nickServ: serviceNotice(user, "Account \(name) registered; you are logged in")
            case .plain: user.send(Plain.info("Account \(name) registered; you are logged in"))
            case .sasl: break
            }
            logIn(user, name, via: pending.via)
        case (.identify(let name), .verified(true)):
            logIn(user, accounts[Casemapping.fold(name)]?.name ?? name, via: pending.via)
        case (_, .busy):
            refuse(user, pending.via, .busy)
        case (.identify, _):
            log(.info, "login-failed", [("nick", user.nick), ("via", "\(pending.via)")])
            refuse(user, pending.via, .badPassword)
        default:
            refuse(user, pending.via, .unavailable)
        }
    }

    enum LoginRefusal {
        case exists(String), noSuchAccount(String), badPassword, weak, alreadyIn(String), busy, unavailable, notNick
    }

    private func refuse(_ user: User, _ via: Via, _ why: LoginRefusal) {
        let text: String, code: String
        switch why {
        case .exists(let name): (code, text) = ("ACCOUNT_EXISTS", "Account \(name) already exists")
        case .noSuchAccount(let name): (code, text) = ("INVALID_CREDENTIALS", "No account \(name)")
        case .badPassword: (code, text) = ("INVALID_CREDENTIALS", "Wrong password")
        case .weak: (code, text) = ("WEAK_PASSWORD", "A password has at least \(Self.minimumPasswordLength) characters")
        case .alreadyIn(let name): (code, text) = ("ALREADY_AUTHENTICATED", "You are logged in as \(name) already")
        case .busy: (code, text) = ("TEMPORARILY_UNAVAILABLE", "A login is in progress; try again in a moment")
        case .unavailable: (code, text) = ("TEMPORARILY_UNAVAILABLE", "This server keeps no accounts (relay serve --data DIR)")
        case .notNick: (code, text) = ("ACCOUNT_NAME_MUST_BE_NICK", "The account name is your nick (or *)")
        }
        switch via {
        case .registerCommand: user.send(Message(source: config.name, command: "FAIL", params: ["REGISTER", code, "*", text]))
        case .nickServ: serviceNotice(user, text)
        case .plain: user.send(Plain.info(text))
        case .sasl:
            numeric(user, "904", "SASL authentication failed")
        }
    }

    /// Logged in: the user's account from now on, told to the user and to those who asked for account-notify.
    func logIn(_ user: User, _ name: String, via: Via) {
        user.account = name
        if Casemapping.equal(name, user.nick) { user.nickClaimDeadline = nil }
        log(.info, "logged-in", [("account", name), ("nick", user.nick), ("via", "\(via)")])
        if user.isIRC {
            numeric(user, "900", user.registered ? user.prefix : "*", name, "You are now logged in as \(name)")
            if via == .sasl { numeric(user, "903", "SASL authentication successful") }
            if via == .nickServ { serviceNotice(user, "You are now identified for \(name)") }
        } else {
            user.send(Plain.info("You are logged in as \(name)"))
        }
        guard user.registered else { return }
        let notice = event(Message(source: user.prefix, "ACCOUNT", name), from: user)
        var told: Set<ClientID> = [user.id]
        for room in user.rooms {
            for member in room.members where member.caps.contains(.accountNotify) && told.insert(member.id).inserted {
                member.send(notice)
            }
        }
    }

    /// Starts hashing or checking `password` for `user`; false (and the refusal said) when it cannot.
    private func startLogin(_ user: User, _ purpose: PendingLogin.Purpose, password: String, via: Via) {
        guard accountsEnabled else { return refuse(user, via, .unavailable) }
        guard !user.loginInProgress else { return refuse(user, via, .busy) }
        let kind: PasswordJob.Kind
        switch purpose {
        case .register(let name):
            if let current = user.account { return refuse(user, via, .alreadyIn(current)) }
            guard accounts[Casemapping.fold(name)] == nil else { return refuse(user, via, .exists(name)) }
            guard password.count >= Self.minimumPasswordLength else { return refuse(user, via, .weak) }
            kind = .hash(password: password)
        case .identify(let name):
            guard let record = accounts[Casemapping.fold(name)] else { return refuse(user, via, .noSuchAccount(name)) }
            kind = .verify(password: password, hash: record.passwordHash)
        }
        passwordJobCounter += 1
        user.loginInProgress = true
        pendingLogins[passwordJobCounter] = PendingLogin(user: user.id, purpose: purpose, via: via)
        passwordJobs.append(PasswordJob(id: passwordJobCounter, kind: kind))
    }

    // MARK: The commands

    /// `REGISTER <account|*> <email|*> <password>` (draft/account-registration).
    func ircRegister(_ user: User, _ message: Message) throws(ChatError) {
        let name = message.params[0] == "*" ? user.nick : message.params[0]
        guard Casemapping.equal(name, user.nick) else { return refuse(user, .registerCommand, .notNick) }
        startLogin(user, .register(user.nick), password: message.params[2], via: .registerCommand)
    }

    /// `AUTHENTICATE` (SASL PLAIN), before or after registration.
    func ircAuthenticate(_ user: User, _ message: Message) throws(ChatError) {
        let argument = message.params[0]
        guard accountsEnabled, user.caps.contains(.sasl) else { return numeric(user, "904", "SASL authentication failed") }
        if argument == "*" {
            user.saslBuffer = nil
            return numeric(user, "906", "SASL authentication aborted")
        }
        if let current = user.account { return numeric(user, "907", "You have already authenticated as \(current)") }
        guard let buffer = user.saslBuffer else {
            let mechanism = argument.uppercased()
            guard mechanism == "PLAIN" || mechanism == "EXTERNAL" else {
                numeric(user, "908", "PLAIN,EXTERNAL", "are available SASL mechanisms")
                return numeric(user, "904", "SASL authentication failed")
            }
            user.saslBuffer = ""
            user.saslMechanism = mechanism
            return user.send(Message(command: "AUTHENTICATE", params: ["+"]))
        }
        // Chunks of 400 bytes; a shorter one (or "+") ends the payload.
        let joined = buffer + (argument == "+" ? "" : argument)
        guard joined.utf8.count <= 1200 else {
            user.saslBuffer = nil
            return numeric(user, "905", "SASL message too long")
        }
        if argument.utf8.count == 400 { user.saslBuffer = joined; return }
        user.saslBuffer = nil
        guard let bytes = joined.isEmpty ? [] : Base64.decode(joined) else { return numeric(user, "904", "SASL authentication failed") }
        if user.saslMechanism == "EXTERNAL" { return saslExternal(user, authorizationID: String(decoding: bytes, as: UTF8.self)) }
        let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3, let name = String(validating: parts[1], as: UTF8.self),
              let password = String(validating: parts[2], as: UTF8.self), !name.isEmpty else {
            return numeric(user, "904", "SASL authentication failed")
        }
        guard accounts[Casemapping.fold(name)] != nil else { return numeric(user, "904", "SASL authentication failed") }
        startLogin(user, .identify(name), password: password, via: .sasl)
    }

    /// SASL EXTERNAL: the TLS client certificate is the credential; the account
    /// is the one that added its fingerprint (the one named, if any).
    private func saslExternal(_ user: User, authorizationID: String) {
        guard let fingerprint = user.certificateFingerprint,
              let record = accounts.values.first(where: { $0.certificates.contains(fingerprint)
                  && (authorizationID.isEmpty || Casemapping.equal($0.name, authorizationID)) }) else {
            log(.info, "login-failed", [("nick", user.nick), ("via", "sasl external")])
            return numeric(user, "904", "SASL authentication failed")
        }
        logIn(user, record.name, via: .sasl)
    }

    /// NickServ CERT ADD|DEL|LIST: the fingerprints of the TLS client
    /// certificates that log in to one's account (SASL EXTERNAL).
    private func certificateCommand(_ user: User, _ words: [String]) {
        guard let name = user.account, var record = accounts[Casemapping.fold(name)] else {
            return serviceNotice(user, "Log in first")
        }
        switch words.count > 1 ? words[1].uppercased() : "LIST" {
        case "ADD":
            let fingerprint = (words.count > 2 ? words[2] : user.certificateFingerprint ?? "").lowercased()
            guard fingerprint.utf8.count == 64, fingerprint.utf8.allSatisfy({ ("0"..."9").contains(Character(UnicodeScalar($0)))
                || ("a"..."f").contains(Character(UnicodeScalar($0))) }) else {
                return serviceNotice(user, "Connect with a TLS client certificate, or give its SHA-256 fingerprint (64 hex digits)")
            }
            guard !record.certificates.contains(fingerprint) else { return serviceNotice(user, "\(fingerprint) is on \(record.name) already") }
            guard record.certificates.count < 5 else { return serviceNotice(user, "An account has 5 certificates at most") }
            record.certificates.append(fingerprint)
            serviceNotice(user, "Added \(fingerprint) to \(record.name): it logs in by SASL EXTERNAL")
        case "DEL" where words.count > 2:
            guard let index = record.certificates.firstIndex(of: words[2].lowercased()) else { return serviceNotice(user, "No such certificate") }
            record.certificates.remove(at: index)
            serviceNotice(user, "Removed \(words[2].lowercased()) from \(record.name)")
        default:
            return serviceNotice(user, record.certificates.isEmpty ? "No certificates on \(record.name)"
                                       : "Certificates on \(record.name): \(record.certificates.joined(separator: " "))")
        }
        accounts[Casemapping.fold(name)] = record
        stateChanges.append(.account(record))
    }

    /// A private message to a service (no one holds its nick): whether one answered.
    func answeredByService(_ user: User, _ target: String, _ text: String) -> Bool {
        if Casemapping.equal(target, Self.nickServ) { nickServ(user, text); return true }
        if Casemapping.equal(target, Self.chanServ) { chanServ(user, text); return true }
        return false
    }

    /// A PRIVMSG to NickServ, when no one holds that nick: REGISTER, IDENTIFY, HELP.
    func nickServ(_ user: User, _ text: String) {
        let words = text.split(separator: " ").map(String.init)
        switch words.first?.uppercased() {
        case "REGISTER" where words.count >= 2:
            startLogin(user, .register(user.nick), password: words[1], via: .nickServ)
        case "IDENTIFY" where words.count == 2:
            startLogin(user, .identify(user.nick), password: words[1], via: .nickServ)
        case "IDENTIFY" where words.count >= 3:
            startLogin(user, .identify(words[1]), password: words[2], via: .nickServ)
        case "CERT":
            certificateCommand(user, words)
        default:
            serviceNotice(user, "Commands: REGISTER <password> (an account named as your nick), IDENTIFY [account] <password>, "
                          + "CERT ADD|DEL|LIST [fingerprint] (TLS client certificates for SASL EXTERNAL)")
        }
    }

    /// The plain `/register PASSWORD` and `/login [NAME] PASSWORD`.
    func plainAccountCommand(_ user: User, register: Bool, _ argument: String) throws(ChatError) {
        let words = argument.split(separator: " ").map(String.init)
        if register {
            guard words.count == 1 else { throw .usage("/register PASSWORD (an account named as your nick)") }
            return startLogin(user, .register(user.nick), password: words[0], via: .plain)
        }
        guard (1...2).contains(words.count) else { throw .usage("/login [NAME] PASSWORD") }
        startLogin(user, .identify(words.count == 2 ? words[0] : user.nick), password: words.last!, via: .plain)
    }

    /// A service's answer: a NOTICE from it for IRC, "-!- NickServ: ..." for a plain user.
    func serviceNotice(_ user: User, _ text: String, from service: String = nickServ) {
        guard user.isIRC else { return user.send(Plain.info("\(service): \(text)")) }
        user.send(Message(source: "\(service)!\(service)@services.", command: "NOTICE", params: [user.nick, text]))
    }

    /// Lines whose words are a password: never replayed into a room, never logged.
    static func isAccountSecret(_ message: Message) -> Bool {
        switch message.command.uppercased() {
        case "REGISTER": return true
        case "PRIVMSG", "NOTICE":
            guard message.params.count == 2, Casemapping.equal(message.params[0], nickServ) else { return false }
            let word = message.params[1].prefix { $0 != " " }.uppercased()
            return word == "REGISTER" || word == "IDENTIFY"
        default: return false
        }
    }
}
