#if canImport(Glibc)
import Glibc
import CRelaySys
#elseif canImport(Darwin)
import Darwin
#endif

/// A non-blocking listening TCP socket.
public final class Listener {
    public let fd: Int32
    public let address: SocketAddress

    /// Binds the first address `host` resolves to (SO_REUSEADDR) and listens.
    public init(host: String, port: Int, backlog: Int32 = 1024) throws {
        var lastError: Error = ResolveError(host: host, reason: "no address")
        var bound: Int32?
        for candidate in try SocketAddress.resolve(host: host, port: port, passive: true) {
            do {
                bound = try Self.bindAndListen(candidate, backlog: backlog)
                break
            } catch {
                lastError = error
            }
        }
        guard let bound else { throw lastError }
        do {
            address = try Socket.localAddress(bound)
        } catch {
            closeDescriptor(bound)
            throw error
        }
        fd = bound
    }

    private static func bindAndListen(_ address: SocketAddress, backlog: Int32) throws -> Int32 {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscall("socket", { socket(address.family, type, 0) })
        do {
            var on: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            if address.family == AF_INET6 {
                setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &on, socklen_t(MemoryLayout<Int32>.size))
            }
            _ = try syscall("bind \(address)", { address.withSockaddr { bind(fd, $0, $1) } })
            _ = try syscall("listen \(address)", { listen(fd, backlog) })
            return fd
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    deinit { closeDescriptor(fd) }

    /// Accepts one pending connection (accept4, non-blocking and close-on-exec).
    /// `.wouldBlock` when the backlog is empty; EMFILE and ENFILE are thrown for
    /// the caller to back off.
    public func accept() throws -> IOResult<Int32> {
        try nonBlockingSyscall("accept", { relay_accept(fd) })
    }
}

extension SystemError {
    /// The process or the system ran out of file descriptors.
    public var isDescriptorExhaustion: Bool { code == EMFILE || code == ENFILE || code == ENOBUFS || code == ENOMEM }
    /// A connection that died in the backlog before we accepted it; not our failure.
    public var isAbortedConnection: Bool { code == ECONNABORTED || code == EPROTO || code == EPERM }
}
