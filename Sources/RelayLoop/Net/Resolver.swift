#if canImport(Glibc)
import Glibc
import CRelaySys
#elseif canImport(Darwin)
import Darwin
#endif

/// Name resolution off the loop.
///
/// getaddrinfo blocks, sometimes for many seconds (a dead DNS server), and the
/// loop must never block: each lookup runs on a short-lived thread of its own
/// that hands the answer back through a pipe the loop watches. Cancelling only
/// stops listening; the thread finishes its lookup and exits on its own.
/// The thread inherits the blocked signal mask, so signals still reach the loop.
public final class Resolver: ReadinessHandler {
    public typealias Completion = (Result<[SocketAddress], ResolveError>) -> Void

    private let loop: EventLoop
    private let lookup: Lookup
    private var readFD: Int32
    private var completion: Completion?

    /// Starts resolving `host`:`port`; `completion` runs in the loop, once, unless cancelled.
    public init(host: String, port: Int, loop: EventLoop, completion: @escaping Completion) throws {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2", { relay_pipe(&fds) })
        self.loop = loop
        self.readFD = fds[0]
        self.lookup = Lookup(host: host, port: port, writeFD: fds[1])
        self.completion = completion
        do {
            try loop.watch(readFD, interest: .read, handler: self)
            try lookup.start()
        } catch {
            cancel()
            closeDescriptor(fds[1])
            throw error
        }
    }

    /// Stops listening for the answer: the completion will not run.
    public func cancel() {
        completion = nil
        guard readFD >= 0 else { return }
        loop.unwatch(readFD)
        closeDescriptor(readFD)
        readFD = -1
    }

    public func handle(_ event: ReadyEvent) {
        let completion = self.completion
        cancel()
        guard let completion else { return }
        completion(lookup.result ?? .failure(ResolveError(host: lookup.host, reason: "no answer")))
    }
}

/// One lookup, shared by the loop and its thread. The thread writes `result`
/// before it writes to the pipe; the loop reads it after the pipe is readable.
private final class Lookup {
    let host: String
    let port: Int
    let writeFD: Int32
    var result: Result<[SocketAddress], ResolveError>?

    init(host: String, port: Int, writeFD: Int32) {
        self.host = host
        self.port = port
        self.writeFD = writeFD
    }

    func start() throws {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let lookup = Unmanaged<Lookup>.fromOpaque(raw!).takeRetainedValue()
            lookup.run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<Lookup>.fromOpaque(retained).release()
            throw SystemError("pthread_create", code: status)
        }
        pthread_detach(thread)
    }

    private func run() {
        do {
            result = .success(try SocketAddress.resolve(host: host, port: port))
        } catch let error as ResolveError {
            result = .failure(error)
        } catch {
            result = .failure(ResolveError(host: host, reason: "\(error)"))
        }
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)  // EPIPE if the loop stopped listening: fine
        closeDescriptor(writeFD)
    }
}
