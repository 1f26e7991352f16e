import COpenSSL
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// One non-blocking TLS connection over a socket (an OpenSSL SSL), driven by a
/// `Connection` as its `StreamTransport`. Every command's TLS goes through here.
public final class TLSStream: StreamTransport {
    public enum Role {
        /// Verify the server as `host`: a name gets SNI and a host-name check,
        /// an IP literal an IP-address check and no SNI.
        case client(host: String)
        case server
    }

    private let ssl: OpaquePointer
    /// Kept alive as long as the stream (OpenSSL counts its own reference too).
    public let context: TLSContext
    /// After a fatal error OpenSSL forbids a close_notify.
    private var fatal = false
    private var shutdownSent = false

    public init(context: TLSContext, fd: Int32, role: Role) throws(TLSContext.Failure) {
        guard let ssl = SSL_new(context.context) else { throw TLSContext.Failure(description: "tls: \(TLSErrors.take())") }
        self.ssl = ssl
        self.context = context
        SSL_set_fd(ssl, fd)
        switch role {
        case .server:
            SSL_set_accept_state(ssl)
        case .client(let host):
            SSL_set_connect_state(ssl)
            let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            if Self.isAddressLiteral(name) {
                relay_ssl_expect_ip(ssl, name)
            } else {
                relay_ssl_set_sni(ssl, name)
                SSL_set1_host(ssl, name)
            }
        }
    }

    deinit { SSL_free(ssl) }

    // MARK: StreamTransport

    public func handshake() throws -> TransportResult {
        try call { _ in SSL_do_handshake(ssl) }
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> TransportResult {
        try call { SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &$0) }
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws -> TransportResult {
        guard !bytes.isEmpty else { return .done(0) }
        return try call { SSL_write_ex(ssl, bytes.baseAddress, bytes.count, &$0) }
    }

    /// One OpenSSL call on a clean error queue and errno (SSL_get_error reads both):
    /// 1 is success with the count it set, anything else is sorted by `outcome`.
    private func call(_ operation: (inout Int) -> Int32) throws -> TransportResult {
        ERR_clear_error()
        clearErrorCode()
        var count = 0
        let result = operation(&count)
        return result == 1 ? .done(count) : try outcome(of: result)
    }

    public var hasBufferedInput: Bool { SSL_pending(ssl) > 0 || SSL_has_pending(ssl) == 1 }

    public func shutdown() {
        guard !fatal, !shutdownSent else { return }
        shutdownSent = true
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    // MARK: What happened

    /// Why verification failed or would have failed (with `--insecure`); nil when it passed.
    public var verificationProblem: String? {
        let result = SSL_get_verify_result(ssl)
        if result == X509_V_OK { return SSL_get0_peer_certificate(ssl) == nil ? "no certificate" : nil }
        return String(cString: X509_verify_cert_error_string(result))
    }

    /// The SHA-256 fingerprint of the peer's certificate, in lower-case hex (CertFP); nil without one.
    public var peerFingerprint: String? {
        guard let certificate = SSL_get0_peer_certificate(ssl) else { return nil }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(certificate, EVP_sha256(), &digest, &length) == 1 else { return nil }
        return digest.prefix(Int(length)).map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// "TLSv1.3 TLS_AES_256_GCM_SHA384", for the log.
    public var summary: String {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "TLS"
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? ""
        return cipher.isEmpty ? version : "\(version) \(cipher)"
    }

    private func outcome(of result: Int32) throws -> TransportResult {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ:
            return .wantRead
        case SSL_ERROR_WANT_WRITE:
            return .wantWrite
        case SSL_ERROR_ZERO_RETURN:
            return .done(0)
        case SSL_ERROR_SYSCALL:
            fatal = true
            let saved = lastErrorCode()
            let queued = ERR_get_error()
            ERR_clear_error()
            if queued != 0 { throw TransportError(TLSErrors.describe(queued)) }
            throw TransportError(saved == 0 ? "Remote host closed the connection" : String(cString: strerror(saved)))
        default:
            fatal = true
            let queued = ERR_peek_last_error()
            var reason = TLSErrors.take()
            if ERR_GET_REASON(queued) == SSL_R_CERTIFICATE_VERIFY_FAILED, let problem = verificationProblem {
                reason = "certificate verify failed: \(problem)"
            } else if ERR_GET_REASON(queued) == SSL_R_WRONG_VERSION_NUMBER && isClient {
                // What a client sees when the port speaks plain IRC: say so.
                reason = "wrong version number (the server does not speak TLS on this port; try irc://)"
            }
            // TLS 1.3 says a required client certificate is missing on our first read, as an alert.
            throw TransportError(reason, isAuthentication: isClient && reason.contains("certificate required"))
        }
    }

    private var isClient: Bool { SSL_is_server(ssl) == 0 }

    static func isAddressLiteral(_ host: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}
