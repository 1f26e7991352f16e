import COpenSSL
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// One side's TLS settings (an OpenSSL SSL_CTX): what to trust, what to
/// present. Connections keep the context they started with, so a server can
/// load a new certificate without disturbing anyone connected.
public final class TLSContext {
    let context: OpaquePointer
    /// The client does not verify the server (`--insecure`).
    public let isInsecure: Bool

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    private init(method: OpaquePointer?, insecure: Bool = false) throws(Failure) {
        guard let method, let context = SSL_CTX_new(method) else { throw Failure(description: "tls: \(TLSErrors.take())") }
        self.context = context
        self.isInsecure = insecure
        guard relay_ssl_ctx_configure(context) == 1 else { throw Failure(description: "tls: \(TLSErrors.take())") }
    }

    deinit { SSL_CTX_free(context) }

    /// A client's settings: verify the server against the system's store or
    /// `caFile` (unless `insecure`), and present `certificate` if given.
    public static func client(caFile: String? = nil, insecure: Bool = false,
                              certificate: String? = nil, key: String? = nil) throws(Failure) -> TLSContext {
        let tls = try TLSContext(method: TLS_client_method(), insecure: insecure)
        if let caFile {
            try Self.readable(caFile)
            guard SSL_CTX_load_verify_locations(tls.context, caFile, nil) == 1 else {
                throw Failure(description: "\(caFile): not a CA certificate file (\(TLSErrors.take()))")
            }
        } else if SSL_CTX_set_default_verify_paths(tls.context) != 1 {
            throw Failure(description: "tls: the system's certificate store: \(TLSErrors.take())")
        }
        // Verified after the handshake with --insecure, so what would have failed can be said.
        SSL_CTX_set_verify(tls.context, insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nil)
        if let certificate {
            try tls.use(certificate: certificate, key: key ?? certificate)
        }
        return tls
    }

    /// A server's settings: its certificate chain and key. Clients are not asked for certificates.
    public static func server(certificate: String, key: String) throws(Failure) -> TLSContext {
        let tls = try TLSContext(method: TLS_server_method())
        guard relay_ssl_ctx_server_ciphers(tls.context) == 1 else { throw Failure(description: "tls: \(TLSErrors.take())") }
        // Ask for a client certificate, and take any (or none): it is matched by
        // its fingerprint (CertFP, SASL EXTERNAL), never trusted by a CA.
        SSL_CTX_set_verify(tls.context, SSL_VERIFY_PEER, { _, _ in 1 })
        try tls.use(certificate: certificate, key: key)
        return tls
    }

    private func use(certificate: String, key: String) throws(Failure) {
        try Self.readable(certificate)
        try Self.readable(key)
        guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
            throw Failure(description: "\(certificate): not a PEM certificate (\(TLSErrors.take()))")
        }
        guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1 else {
            let reason = TLSErrors.take()
            throw Failure(description: reason == "key values mismatch"
                          ? "\(key): the key does not match the certificate \(certificate)"
                          : "\(key): not a PEM private key (\(reason))")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw Failure(description: "\(key): the key does not match the certificate \(certificate)")
        }
    }
}

extension TLSContext {
    /// A missing or unreadable file, said the way every other file error is
    /// ("PATH: No such file or directory"), not in OpenSSL's codes.
    static func readable(_ path: String) throws(Failure) {
        let (result, code) = attempt { access(path, R_OK) }
        guard result == 0 else { throw Failure(description: "\(path): \(String(cString: strerror(code)))") }
    }
}

/// OpenSSL's per-thread error queue, read as one line.
enum TLSErrors {
    /// The oldest queued error's reason, and the queue emptied.
    static func take() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        return describe(code)
    }

    static func describe(_ code: UInt) -> String {
        guard code != 0 else { return "unknown error" }
        if let reason = ERR_reason_error_string(code) { return String(cString: reason) }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
