import DequeModule
import RelayIRC

public typealias ClientID = Int

/// How a connection talks: decided by its first line, or by a short silence
/// (`User.plainAt`). No payload, so the room loop's `isIRC` is one byte compare.
enum Dialect: UInt8 {
    /// Connected, nothing decided yet; becomes plain at `User.plainAt`.
    case undecided
    /// A person on nc or telnet: readable text and slash commands.
    case plain
    /// An IRC client: the IRC message format and numerics.
    case irc
}

/// One connected person or program. Plain and IRC users are the same kind of
/// user: same nick space, same rooms; only `dialect` decides the rendering.
///
/// Memory: one of these per connection, so what most connections never use
/// lives in objects made on first use (`more`, IRCv3 and rarer state) or kept
/// only until registration (`pending`), and times are 8-byte `Tick`s, not
/// ContinuousClock.Instants (16 bytes, and a layout the standard library keeps
/// resilient, which would leave every field after one without a fixed offset).
/// The fields the room loop reads for each delivery come first.
final class User {
    // Read for every delivery.
    let endpoint: ClientEndpoint
    /// The capabilities this client enabled; empty for plain users and for
    /// IRC clients that asked for none. Inline: the fan-out reads it.
    var caps: Capability = []
    var dialect: Dialect
    /// Set once the user is gone: late sends are dropped.
    var gone = false
    var registered = false {
        didSet { if registered { pending = nil } }
    }
    var isOperator = false
    /// Connected over TLS.
    var isSecure = false
    /// User mode +i: left out of WHO, NAMES and LIST counts for those who share no room with them.
    var invisible = false
    var receivesWallops = false
    /// User mode +B: a bot (the `bot` tag on what it says, 335 in WHOIS).
    var isBot = false
    private var hasPingSent = false
    private var hasNextCheck = false
    /// While a labeled command runs: what it sends this client, to be labeled
    /// (labeled-response) once it is done.
    var captured: [[UInt8]]?

    let id: ClientID
    let host: String
    /// "*" until a nick is chosen.
    var nick = "*"
    var username = ""
    var realname = ""
    /// Rooms joined, by folded name, in joining order. Plain users have at most one.
    var rooms: [Room] = []
    /// Wall-clock connect time, for WHOIS.
    var signedOnAt: Int64 = 0
    /// Lines a client sent that flood control has not let through yet.
    var floodQueue = InputQueue()

    /// The rest, made the first time a client uses any of it: a connection
    /// that never does costs one pointer for all of it.
    private var more: IRCv3State?
    /// Until registration is complete; then dropped (one pointer).
    private var pending: Registration?

    // Times, kept as Ticks (8 bytes, not an Instant's 16).
    @Ticked var connectedAt: ContinuousClock.Instant
    /// The last line received (keepalive) and the last message sent (WHOIS idle).
    @Ticked var lastActivity: ContinuousClock.Instant
    @Ticked var lastMessageAt: ContinuousClock.Instant
    /// A PING was sent and its answer is awaited.
    var pingSentAt: ContinuousClock.Instant? {
        get { hasPingSent ? pingSent.instant : nil }
        set { hasPingSent = newValue != nil; if let newValue { pingSent = Tick(newValue) } }
    }
    /// The earliest deadline queued for this user in the core's heap.
    var nextCheck: ContinuousClock.Instant? {
        get { hasNextCheck ? nextCheckAt.instant : nil }
        set { hasNextCheck = newValue != nil; if let newValue { nextCheckAt = Tick(newValue) } }
    }
    // The two optional ones with their flags among the Bools: an Optional
    // takes a word more, the flag one byte of a word already there.
    private var pingSent: Tick
    private var nextCheckAt: Tick
    /// Flood control: the user's tokens; burst and rate are the server's
    /// (`ServerConfig`), the same for everyone (the lines waiting are `floodQueue`).
    var flood: TokenLevel

    init(id: ClientID, endpoint: ClientEndpoint, host: String, dialect: Dialect, now: ContinuousClock.Instant, flood: TokenLevel) {
        self.id = id
        self.endpoint = endpoint
        self.host = host
        self.dialect = dialect
        self.connectedAt = now
        self.lastActivity = now
        self.lastMessageAt = now
        self.pingSent = Tick(now)
        self.nextCheckAt = Tick(now)
        self.flood = flood
        self.pending = Registration(plainAt: now)
    }

    /// Whether that rest was ever made (tests keep ordinary connections from paying for it).
    var hasIRCv3State: Bool { more != nil }
    /// Whether the registration state is still held (dropped once registered).
    var holdsRegistrationState: Bool { pending != nil }
    private var state: IRCv3State {
        if let more { return more }
        let made = IRCv3State()
        more = made
        return made
    }
    private var registration: Registration {
        if let pending { return pending }
        let made = Registration(plainAt: connectedAt)
        pending = made
        return made
    }

    var away: String? {
        get { more?.away }
        set { if newValue != nil || more != nil { state.away = newValue } }
    }
    /// The CAP LS version asked for (302 gets values, multi-line lists and cap-notify).
    var capVersion: Int {
        get { more?.capVersion ?? 0 }
        set { state.capVersion = newValue }
    }
    /// The account logged in to (account-tag, extended-join, WHOIS); nil when not logged in.
    var account: String? {
        get { more?.account }
        set { state.account = newValue }
    }
    /// A password is being hashed or checked for this connection (one at a time).
    var loginInProgress: Bool {
        get { more?.loginInProgress ?? false }
        set { state.loginInProgress = newValue }
    }
    /// Holding a registered nick without being logged in to it: renamed at this time.
    var nickClaimDeadline: ContinuousClock.Instant? {
        get { more?.nickClaimDeadline }
        set { state.nickClaimDeadline = newValue }
    }
    /// The TLS client certificate's SHA-256 fingerprint (hex), if one was presented.
    var certificateFingerprint: String? {
        get { more?.certificateFingerprint }
        set { state.certificateFingerprint = newValue }
    }
    /// SASL PLAIN: the payload so far, once `AUTHENTICATE PLAIN` was accepted.
    var saslBuffer: String? {
        get { more?.saslBuffer }
        set { state.saslBuffer = newValue }
    }
    var saslMechanism: String? {
        get { more?.saslMechanism }
        set { state.saslMechanism = newValue }
    }
    /// Folded nicks this client MONITORs.
    var monitoring: Set<String> {
        get { more?.monitoring ?? [] }
        _modify { yield &state.monitoring }
    }
    /// draft/read-marker: the last read time per folded target, this session.
    var readMarkers: [String: Int64] {
        get { more?.readMarkers ?? [:] }
        _modify { yield &state.readMarkers }
    }

    // Registration (kept in `pending`; after it, every one reads as its default).
    /// While `dialect` is undecided: when silence makes this connection plain.
    var plainAt: ContinuousClock.Instant {
        get { pending?.plainAt ?? connectedAt }
        set { registration.plainAt = newValue }
    }
    /// A TLS connection whose handshake is not done: it has said nothing yet,
    /// and silence must not make it a plain guest.
    var awaitingHandshake: Bool {
        get { pending?.awaitingHandshake ?? false }
        set { if newValue || pending != nil { registration.awaitingHandshake = newValue } }
    }
    var passwordGiven: String? {
        get { pending?.passwordGiven }
        set { if newValue != nil || pending != nil { registration.passwordGiven = newValue } }
    }
    /// CAP LS was sent: registration waits for CAP END.
    var negotiatingCaps: Bool {
        get { pending?.negotiatingCaps ?? false }
        set { if newValue || pending != nil { registration.negotiatingCaps = newValue } }
    }
    /// A plain user on a server with a password, who has not typed it yet.
    var awaitingPassword: Bool {
        get { pending?.awaitingPassword ?? false }
        set { if newValue || pending != nil { registration.awaitingPassword = newValue } }
    }
    /// Taken for IRC on a first line that only looks like registration ("nick bob"
    /// might be a person): the lines so far, kept until registration completes or
    /// another IRC line arrives, and replayed as plain text if neither happens by `until`.
    var ircTrial: (until: ContinuousClock.Instant, lines: [[UInt8]])? {
        get { pending?.ircTrial }
        set { if newValue != nil || pending != nil { registration.ircTrial = newValue } }
    }

    /// "nick!user@host", the source of what this user says: built when asked
    /// (once a message, in `say`), not kept — 48 bytes more a connection.
    var prefix: String { "\(nick)!\(username)@\(host)" }

    var isPlain: Bool { if case .plain = dialect { return true } else { return false } }
    var isIRC: Bool { if case .irc = dialect { return true } else { return false } }


    /// The room a plain user talks to.
    var currentRoom: Room? { rooms.last }

    /// IRC clients get at most 512 bytes a line (a relayed reason or an echoed
    /// target can make more); plain readers get lines of any length.
    func send(_ line: [UInt8]) {
        sendFitting(isPlain ? line : Message.cutToFit(line))
    }

    /// A line the caller knows fits (the room loop checks once for all members).
    @inline(__always)
    func sendFitting(_ line: [UInt8]) {
        guard !gone else { return }
        if captured != nil { return captured!.append(line) }
        endpoint.send(line)
    }

    /// An event: with the tags this client asked for (none: the line as it is).
    func send(_ event: TaggedLine) {
        send(caps.isDisjoint(with: .tagged) ? event.line : event.bytes(for: caps))
    }

    /// One event, already rendered both ways.
    func send(irc: TaggedLine, plain: [UInt8]) {
        send(isIRC ? (caps.isDisjoint(with: .tagged) ? irc.line : irc.bytes(for: caps)) : plain)
    }

    func send(_ message: Message) {
        send(message.bytes)
    }

    /// One event, already rendered both ways: this user gets their dialect's line.
    func send(irc: [UInt8], plain: [UInt8]) {
        send(isIRC ? irc : plain)
    }
}

/// A user's IRCv3 state beyond its capability bits (see `User.caps`).
final class IRCv3State {
    var away: String?
    var capVersion = 0
    var account: String?
    var loginInProgress = false
    var saslBuffer: String?
    var nickClaimDeadline: ContinuousClock.Instant?
    var certificateFingerprint: String?
    /// The SASL mechanism accepted, while its payload is awaited.
    var saslMechanism: String?
    var monitoring: Set<String> = []
    var readMarkers: [String: Int64] = [:]
}

/// What a connection needs only until it is registered (see `User.pending`).
final class Registration {
    var plainAt: ContinuousClock.Instant
    var awaitingHandshake = false
    var passwordGiven: String?
    var negotiatingCaps = false
    var awaitingPassword = false
    var ircTrial: (until: ContinuousClock.Instant, lines: [[UInt8]])?

    init(plainAt: ContinuousClock.Instant) {
        self.plainAt = plainAt
    }
}
