#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain TCP (or a Unix socket) as a `StreamTransport`: no handshake, no
/// framing of its own, so `Connection` has one path for every stream, EOF
/// and half-close included.
final class PlainTransport: StreamTransport {
    let fd: Int32

    init(fd: Int32) { self.fd = fd }

    func handshake() throws -> TransportResult { .done(0) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> TransportResult {
        do {
            switch try Socket.read(fd, into: buffer) {
            case .done(let count): return .done(count)
            case .wouldBlock: return .wantRead
            }
        } catch let error as SystemError {
            throw TransportError(error.reason)
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws -> TransportResult {
        do {
            switch try Socket.write(fd, bytes) {
            case .done(let count): return .done(count)
            case .wouldBlock: return .wantWrite
            }
        } catch let error as SystemError {
            throw TransportError(error.reason)
        }
    }

    /// The kernel holds nothing the selector cannot see.
    var hasBufferedInput: Bool { false }

    /// A short read emptied the socket: no need to ask again until it is readable.
    var stopsAfterShortRead: Bool { true }

    /// TCP's goodbye is the FIN `Connection` sends itself.
    func shutdown() {}
}

extension StreamTransport {
    /// Not for TLS, whose records come in pieces.
    public var stopsAfterShortRead: Bool { false }
}
