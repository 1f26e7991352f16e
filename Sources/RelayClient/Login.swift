import RelayIRC

/// How a session logs in to services, if it does.
public struct SASLLogin: Equatable, Sendable {
    public enum Mechanism: String, Sendable, CaseIterable {
        /// Account name and password.
        case plain = "PLAIN"
        /// The TLS client certificate (CertFP); nothing is sent.
        case external = "EXTERNAL"
    }

    public var mechanism: Mechanism
    public var user: String
    public var password: String
    /// Go on without a login when the server offers no SASL or refuses it.
    public var optional: Bool

    public init(mechanism: Mechanism, user: String = "", password: String = "", optional: Bool = false) {
        self.mechanism = mechanism
        self.user = user
        self.password = password
        self.optional = optional
    }

    /// The AUTHENTICATE lines that carry the payload: Base64 in 400-byte pieces,
    /// and "+" when the last piece is full (or the payload is empty).
    var payloadLines: [String] {
        let payload: [UInt8] = mechanism == .plain
            ? Array(user.utf8) + [0] + Array(user.utf8) + [0] + Array(password.utf8)
            : []
        let encoded = Array(Base64.encode(payload).utf8)
        var lines: [String] = []
        var index = 0
        while index < encoded.count {
            let end = min(index + 400, encoded.count)
            lines.append(String(decoding: encoded[index..<end], as: UTF8.self))
            index = end
        }
        if encoded.count % 400 == 0 { lines.append("+") }
        return lines
    }
}

/// What a NickServ notice after IDENTIFY says, in the words Atheme, Anope and
/// their kin use; nil for anything else (such as the "this nick is registered"
/// reminder some send on connect).
enum NickServAnswer: Equatable {
    case accepted
    case refused

    init?(_ text: String) {
        let lower = text.lowercased()
        let refusals = ["invalid password", "incorrect password", "password incorrect", "wrong password",
                        "authentication failed", "is not registered", "isn't registered", "not a registered",
                        "access denied", "failed to identify"]
        let acceptances = ["you are now identified", "you are now logged in", "password accepted", "now recognized",
                           "you are already identified", "you are already logged in", "successfully identified"]
        if refusals.contains(where: lower.contains) {
            self = .refused
        } else if acceptances.contains(where: lower.contains) {
            self = .accepted
        } else {
            return nil
        }
    }
}
