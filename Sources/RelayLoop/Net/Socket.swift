#if canImport(Glibc)
import Glibc
import CRelaySys
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin wrappers over the socket calls the loop's users need.
public enum Socket {
    /// Options every chat connection gets: TCP_NODELAY, because a small line must
    /// never wait for a delayed ACK; and TCP keepalive, so a peer that vanished
    /// without a FIN (a half-open socket) is found and dropped eventually.
    public static func configureConnection(_ fd: Int32) {
        var on: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, size)
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, size)
        #if os(Linux)
        var idle: Int32 = 120, interval: Int32 = 30, count: Int32 = 4
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPIDLE, &idle, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPINTVL, &interval, size)
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_KEEPCNT, &count, size)
        #endif
    }

    /// Starts a non-blocking connection to `address` (socket, connect). When
    /// `inProgress` is true, wait for writability and read `pendingError`.
    public static func connect(to address: SocketAddress) throws -> (fd: Int32, inProgress: Bool) {
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscall("socket", { socket(address.family, type, 0) })
        let (result, code) = attempt { address.withSockaddr { Glibc.connect(fd, $0, $1) } }
        if result == 0 { return (fd, false) }
        if code == EINPROGRESS || code == EINTR { return (fd, true) }
        closeDescriptor(fd)
        throw SystemError("connect \(address)", code: code)
    }

    /// The outcome of a finished non-blocking connect (getsockopt SO_ERROR): 0 or an errno.
    public static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        let (result, failure) = attempt { getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) }
        guard result == 0 else { return failure }
        return code
    }

    /// The address of the peer (getpeername).
    public static func peerAddress(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        return result == 0 ? SocketAddress(storage: storage, length: length) : nil
    }

    /// The local address (getsockname).
    public static func localAddress(_ fd: Int32) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = try syscall("getsockname", {
            withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
        })
        return SocketAddress(storage: storage, length: length)
    }

    /// Reads what is available (recv). `.done(0)` is end of file.
    public static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws -> IOResult<Int> {
        try nonBlockingSyscall("read", { recv(fd, buffer.baseAddress, buffer.count, 0) })
    }

    /// Writes as much of `bytes` as the socket takes now (send, MSG_NOSIGNAL).
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws -> IOResult<Int> {
        try nonBlockingSyscall("write", { send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) })
    }
}
