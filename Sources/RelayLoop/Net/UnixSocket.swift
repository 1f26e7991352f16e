#if canImport(Glibc)
import Glibc
import CRelaySys
#endif

/// Unix-domain stream sockets: the announce socket many local jobs post through.
public enum UnixSocket {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// A sockaddr_un for `path`; paths longer than sun_path are refused.
    static func address(_ path: String) throws -> (sockaddr_un, socklen_t) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw Failure(description: "\(path): a socket path must be 1 to \(capacity - 1) bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return (address, socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1))
    }

    /// Connects (blocking briefly: a local socket answers at once or refuses).
    public static func connect(path: String) throws -> Int32 {
        var (address, length) = try address(path)
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscall("socket", { socket(AF_UNIX, type, 0) })
        let (result, code) = attempt {
            withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        }
        guard result == 0 else {
            let error = SystemError("connect \(path)", code: code)
            closeDescriptor(fd)
            throw error
        }
        try setNonBlocking(fd)
        return fd
    }

    /// Listens on `path`, readable and writable by this user only (0600). A
    /// socket left behind by a process that died is replaced; anything else at
    /// `path` (a file, or a socket someone is listening on) is refused.
    public static func listen(path: String, backlog: Int32 = 128) throws -> Int32 {
        var (address, length) = try address(path)
        var info = stat()
        if lstat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFSOCK else {
                throw Failure(description: "\(path) exists and is not a socket; not replacing it")
            }
            if let live = try? connect(path: path) {
                closeDescriptor(live)
                throw Failure(description: "\(path): another process is listening there")
            }
            unlink(path)  // stale: its listener is gone
        }
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try syscall("socket", { socket(AF_UNIX, type, 0) })
        do {
            // The mode is set at bind time through the umask: no moment when others could connect.
            let previous = umask(0o177)
            let (result, code) = attempt {
                withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
            }
            umask(previous)
            guard result == 0 else { throw SystemError("bind \(path)", code: code) }
            _ = try syscall("listen \(path)", { Glibc.listen(fd, backlog) })
            return fd
        } catch {
            closeDescriptor(fd)
            throw error
        }
    }

    /// Accepts one pending connection, non-blocking and close-on-exec.
    public static func accept(_ fd: Int32) throws -> IOResult<Int32> {
        try nonBlockingSyscall("accept", { relay_accept(fd) })
    }
}
