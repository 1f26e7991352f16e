import Foundation
import Glibc

/// A misbehaving IRC server on a free loopback port, for fault tests: each
/// accepted connection is handed to `behave` on a thread of its own.
final class FakeServer {
    let port: Int
    private let fd: Int32
    private let behave: (Int32) -> Void
    private var stopped = false
    private let lock = NSLock()

    init(_ behave: @escaping (Int32) -> Void) throws {
        self.behave = behave
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { [fd] in
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Bool in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard ok, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
        let thread = Thread { [weak self] in self?.acceptLoop() }
        thread.start()
    }

    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            if client < 0 { return }
            lock.lock(); let done = stopped; lock.unlock()
            if done { close(client); return }
            let behave = self.behave
            Thread { behave(client) }.start()
        }
    }

    /// Once only: a second close would close whatever descriptor reused the number
    /// (the next test's listener, seen in CI as "Connection refused").
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    deinit { stop() }

    static func send(_ fd: Int32, _ text: String) {
        _ = text.withCString { Glibc.send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    }
}
