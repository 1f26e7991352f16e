import ArgumentParser
import RelayHTTP
import RelayLoop
import RelayTLS

/// `--http` and its settings: a webhook listener on the bot's connection.
struct WebhookOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Listen for webhooks on [HOST:]PORT (host 127.0.0.1; port 0 picks one): POST text or JSON to /send/ROOM, GitHub, GitLab, Alertmanager and Grafana payloads too.",
        valueName: "host:port"))
    var http: String?

    @Option(help: ArgumentHelp("Requests must carry 'Authorization: Bearer TOKEN' (or GitLab's X-Gitlab-Token) with the token in this file.", valueName: "file"))
    var httpTokenFile: String?

    @Option(help: ArgumentHelp("Requests must be signed with the secret in this file (X-Hub-Signature-256, GitHub's HMAC-SHA256).", valueName: "file"))
    var httpSecretFile: String?

    @Option(name: .customLong("http-template"), help: ArgumentHelp(
        "NAME=TEXT: POST JSON to /hook/NAME/ROOM to say TEXT with each {dotted.path} replaced from it (repeatable).",
        valueName: "name=text"))
    var httpTemplates: [String] = []

    @Option(help: ArgumentHelp("Serve the webhooks over TLS with this certificate chain (PEM), like serve's --tls-cert.", valueName: "file"))
    var httpTlsCert: String?

    @Option(help: ArgumentHelp("The private key (PEM) for --http-tls-cert.", valueName: "file"))
    var httpTlsKey: String?

    @Option(help: "The largest request body accepted, in bytes (more is answered 413).")
    var httpMaxBody = 1024 * 1024

    @Option(help: "Seconds a request has to arrive whole (slower ones are answered 408 and dropped).")
    var httpTimeout = 10

    var isOn: Bool { http != nil }

    func validate() throws {
        let given = httpTokenFile != nil || httpSecretFile != nil || !httpTemplates.isEmpty || httpTlsCert != nil || httpTlsKey != nil
        if http == nil && given { throw ValidationError("--http-* options need --http [HOST:]PORT") }
        try Limits.check("--http-max-body", httpMaxBody, 1...(64 << 20))
        try Limits.check("--http-timeout", httpTimeout, 1...3_600)
        if (httpTlsCert == nil) != (httpTlsKey == nil) { throw ValidationError("--http-tls-cert and --http-tls-key go together") }
        for template in httpTemplates {
            do { _ = try WebhookTemplate.parse(template) } catch { throw ValidationError("--http-template \(error)") }
        }
        if let http {
            let (host, _) = try Self.address(http)
            if !Self.isLoopback(host) && httpTokenFile == nil && httpSecretFile == nil {
                throw ValidationError("--http \(http) is reachable from other machines: give --http-token-file or --http-secret-file")
            }
        }
    }

    /// "8080" → 127.0.0.1:8080; "0.0.0.0:8080", "[::1]:8080".
    static func address(_ text: String) throws -> (host: String, port: Int) {
        var host = "127.0.0.1", portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        }
        guard let port = Int(portText), Limits.port.contains(port), !host.isEmpty else {
            throw ValidationError("--http \(text): expected [HOST:]PORT")
        }
        return (host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The listener's settings and the policy, with the secret files read.
    func setup() throws -> (WebhookServer.Settings, Webhooks)? {
        guard let http else { return nil }
        var settings = WebhookServer.Settings()
        (settings.host, settings.port) = try Self.address(http)
        settings.limits.bodyBytes = httpMaxBody
        settings.requestTimeout = .seconds(httpTimeout)
        if let httpTlsCert, let httpTlsKey {
            Secrets.warnIfExposed(httpTlsKey)
            settings.tls = try TLSContext.server(certificate: httpTlsCert, key: httpTlsKey)
        }
        var config = Webhooks.Config()
        config.token = try httpTokenFile.map { try Secrets.read(file: $0, environment: "") ?? "" }
        config.secret = try httpSecretFile.map { try Secrets.read(file: $0, environment: "") ?? "" }
        if config.token == "" || config.secret == "" { throw ValidationError("the --http token or secret file is empty") }
        config.templates = httpTemplates.compactMap { try? WebhookTemplate.parse($0) }
        return (settings, Webhooks(config: config, hmacSHA256: HMAC.sha256))
    }
}
