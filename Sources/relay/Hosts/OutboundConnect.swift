import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// A connection attempt in progress: the name is resolved off the loop, then
/// each address is tried with a non-blocking connect, all within one deadline.
final class OutboundConnect: ReadinessHandler {
    unowned let loop: EventLoop
    let host: String
    let port: Int
    let timeout: Duration
    /// Exactly one of these runs, once, unless the attempt is cancelled.
    private let connected: (Int32) -> Void
    private let failed: (String) -> Void
    var resolver: Resolver?
    var addresses: [SocketAddress] = []
    var fd: Int32 = -1
    var timer: TimerID?
    var lastError = "no address"

    init(loop: EventLoop, host: String, port: Int, timeout: Duration,
         connected: @escaping (Int32) -> Void, failed: @escaping (String) -> Void) {
        self.loop = loop
        self.host = host
        self.port = port
        self.timeout = timeout
        self.connected = connected
        self.failed = failed
    }

    /// "host:port", IPv6 in brackets.
    private var address: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    func start() {
        timer = loop.schedule(after: timeout) { [weak self] in self?.timedOut() }
        do {
            resolver = try Resolver(host: host, port: port, loop: loop) { [weak self] result in
                guard let self else { return }
                self.resolver = nil
                switch result {
                case .success(let addresses):
                    self.addresses = addresses
                    self.next()
                case .failure(let error):
                    self.giveUp("\(error)")
                }
            }
        } catch {
            giveUp("resolve \(host): \(error)")
        }
    }

    func next() {
        while !addresses.isEmpty {
            let address = addresses.removeFirst()
            do {
                let (fd, inProgress) = try Socket.connect(to: address)
                if !inProgress { return finish(fd) }
                self.fd = fd
                try loop.watch(fd, interest: .write, handler: self)
                return
            } catch {
                lastError = "\(error)"
            }
        }
        giveUp(lastError)
    }

    func handle(_ event: ReadyEvent) {
        let code = Socket.pendingError(fd)
        loop.unwatch(fd)
        if code == 0 { return finish(fd) }
        closeDescriptor(fd)
        fd = -1
        lastError = "\(SystemError("connect \(address)", code: code))"
        next()
    }

    private func finish(_ fd: Int32) {
        self.fd = -1
        cancel()
        connected(fd)
    }

    private func giveUp(_ reason: String) {
        cancel()
        failed(reason)
    }

    private func timedOut() {
        timer = nil
        let seconds = timeout.components.seconds
        giveUp(resolver != nil
               ? "resolve \(host): no answer within \(seconds) s"
               : "\(address): no answer within \(seconds) s")
    }

    func cancel() {
        if let timer { loop.cancel(timer) }
        timer = nil
        resolver?.cancel()
        resolver = nil
        if fd >= 0 {
            loop.unwatch(fd)
            closeDescriptor(fd)
            fd = -1
        }
        addresses.removeAll()
    }
}

