#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain TCP (or a Unix socket) read and written for a `Connection` without a
/// transport: what would block is said the way a transport says it
/// (`.wantRead`, `.wantWrite`), and an error is a `TransportError`, so the
/// connection has one path for every stream. No handshake, nothing held
/// unseen by the selector, a short read empties the socket, and TCP's goodbye
/// is the FIN `Connection` sends itself. Not an object: a plain connection
/// keeps no transport at all.
enum PlainSocket {
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> TransportResult {
        try outcome(of: { try Socket.read(fd, into: buffer) }, wouldBlock: .wantRead)
    }

    static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(TransportError) -> TransportResult {
        try outcome(of: { try Socket.write(fd, bytes) }, wouldBlock: .wantWrite)
    }

    /// A socket call's result as a transport says it.
    @inline(__always)
    private static func outcome(of call: () throws -> IOResult<Int>,
                                wouldBlock: TransportResult) throws(TransportError) -> TransportResult {
        do {
            switch try call() {
            case .done(let count): return .done(count)
            case .wouldBlock: return wouldBlock
            }
        } catch let error as SystemError {
            throw TransportError(error.reason)
        } catch {
            throw TransportError("\(error)")
        }
    }
}

extension StreamTransport {
    /// Not for TLS, whose records come in pieces.
    public var stopsAfterShortRead: Bool { false }
}
