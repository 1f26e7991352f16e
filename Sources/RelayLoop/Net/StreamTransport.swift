/// A layer between a `Connection` and its socket that frames bytes of its own
/// (TLS): the connection drives it on every readiness and never touches the
/// socket directly while one is in place.
///
/// Each call throws a `TransportError` when the stream is dead, and does what it can now and says what it waits for. A transport may
/// need to read in order to write (and the reverse), so the connection tries
/// both directions whenever the socket is ready either way.
public protocol StreamTransport: AnyObject {
    /// Advances the handshake; `.done` once it is complete.
    func handshake() throws -> TransportResult
    /// Reads plaintext into `buffer`; `.done(0)` is the peer's end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> TransportResult
    /// Writes some of `bytes`; `.done(n)` says how many were taken.
    func write(_ bytes: UnsafeRawBufferPointer) throws -> TransportResult
    /// Input the transport has taken from the socket and not yet handed over
    /// (decrypted or not): the selector cannot see it, so the reader must not
    /// go back to waiting while this is true.
    var hasBufferedInput: Bool { get }
    /// A read that returned less than asked means the source is empty for now
    /// (a socket), so reading may stop until the selector says more came.
    var stopsAfterShortRead: Bool { get }
    /// Says goodbye at the transport's level (TLS close_notify), once, best
    /// effort; never after a fatal error.
    func shutdown()
}

public enum TransportResult: Equatable {
    case done(Int)
    case wantRead
    case wantWrite
}

/// A transport failure, in one line ("certificate verify failed: hostname mismatch").
public struct TransportError: Error, CustomStringConvertible, Equatable {
    public var reason: String
    /// The peer refused who we are (TLS 1.3 reports a missing client
    /// certificate on the first read, not in the handshake).
    public var isAuthentication: Bool

    public init(_ reason: String, isAuthentication: Bool = false) {
        self.reason = reason
        self.isAuthentication = isAuthentication
    }

    public var description: String { reason }
}
