import ArgumentParser
import RelayClient
import RelayTLS

/// What a TLS client trusts and presents: `relay connect` and `relay bridge`
/// (for its ircs:// endpoints) take the same four options.
struct TLSFileOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Trust the CAs in FILE (PEM) instead of the system's store.", valueName: "file"))
    var caFile: String?

    @Flag(help: "Do not verify the server's certificate (said on stderr, with what would have failed).")
    var insecure = false

    @Option(help: ArgumentHelp("Present this client certificate (PEM; CertFP, SASL EXTERNAL).", valueName: "file"))
    var clientCert: String?

    @Option(help: ArgumentHelp("The client certificate's key (PEM; default: the --client-cert file).", valueName: "file"))
    var clientKey: String?

    /// The first of these options given, for "needs TLS" errors.
    var firstGiven: String? {
        [caFile.map { _ in "--ca-file" }, insecure ? "--insecure" : nil, clientCert.map { _ in "--client-cert" }]
            .compactMap { $0 }.first
    }

    func validate() throws {
        if clientKey != nil && clientCert == nil { throw ValidationError("--client-key goes with --client-cert") }
    }

    var settings: TLSSettings {
        TLSSettings(caFile: caFile, insecure: insecure, clientCert: clientCert, clientKey: clientKey)
    }
}

/// TLS and services login for `relay connect` (and so for bots).
struct LoginOptions: ParsableArguments {
    @Flag(help: "Speak TLS to a host[:port] target (ircs:// URLs always do).")
    var tls = false

    @OptionGroup var files: TLSFileOptions

    @Option(help: ArgumentHelp("SASL mechanism: plain (account and password) or external (the client certificate).",
                               valueName: "mechanism"))
    var sasl: SASLMechanismArgument?

    @Option(help: ArgumentHelp("Log in with SASL PLAIN as this account; the password from --sasl-password-file or RELAY_SASL_PASSWORD.",
                               valueName: "name"))
    var saslUser: String?

    @Option(help: ArgumentHelp("A file holding the SASL password.", valueName: "file"))
    var saslPasswordFile: String?

    @Flag(help: "Go on without logging in when the server offers no SASL or refuses the login.")
    var saslOptional = false

    @Option(help: ArgumentHelp("Where there is no SASL: IDENTIFY to NickServ with the password in FILE, joining once it answers.",
                               valueName: "file"))
    var nickservPasswordFile: String?

    /// The TLS settings for `target`, nil for plain; a usage error for TLS
    /// options given to a plain target.
    func tlsContext(for target: ClientTarget) throws -> TLSContext? {
        guard target.tls || tls else {
            if let option = files.firstGiven { throw ValidationError("\(option) needs TLS: use ircs:// or --tls") }
            return nil
        }
        if let key = files.clientKey ?? files.clientCert { Secrets.warnIfExposed(key) }
        return try TLSContext.client(caFile: files.caFile, insecure: files.insecure, certificate: files.clientCert,
                                     key: files.clientKey)
    }

    /// The SASL login and NickServ password these options ask for.
    func apply(to config: inout SessionConfig, tls: Bool) throws {
        let mechanism = sasl?.mechanism ?? (saslUser != nil ? .plain : nil)
        switch mechanism {
        case .plain?:
            guard let saslUser, !saslUser.isEmpty else { throw ValidationError("--sasl plain needs --sasl-user NAME") }
            guard let password = try Secrets.read(file: saslPasswordFile, environment: "RELAY_SASL_PASSWORD") else {
                throw ValidationError("--sasl-user \(saslUser): give the password with --sasl-password-file or RELAY_SASL_PASSWORD")
            }
            config.sasl = SASLLogin(mechanism: .plain, user: saslUser, password: password, optional: saslOptional)
        case .external?:
            guard tls, files.clientCert != nil else { throw ValidationError("--sasl external needs TLS and --client-cert") }
            config.sasl = SASLLogin(mechanism: .external, user: saslUser ?? "", optional: saslOptional)
        case nil:
            if saslPasswordFile != nil || saslOptional { throw ValidationError("--sasl-password-file and --sasl-optional go with --sasl-user") }
        }
        if let nickservPasswordFile {
            config.nickservPassword = try Secrets.read(file: nickservPasswordFile, environment: "")
        }
    }
}

/// `--sasl plain|external`.
struct SASLMechanismArgument: ExpressibleByArgument {
    let mechanism: SASLLogin.Mechanism

    init?(argument: String) {
        guard let mechanism = SASLLogin.Mechanism(rawValue: argument.uppercased()) else { return nil }
        self.mechanism = mechanism
    }

    static var allValueStrings: [String] { ["plain", "external"] }
}
