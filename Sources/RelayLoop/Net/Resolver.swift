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
    /// The blocking lookup run on the thread: getaddrinfo, or a stand-in in tests.
    public typealias Lookup = (String, Int) throws -> [SocketAddress]

    private let loop: EventLoop
    private let pending: PendingLookup
    private var readFD: Int32
    private var completion: Completion?

    /// Starts resolving `host`:`port`; `completion` runs in the loop, once, unless cancelled.
    public init(host: String, port: Int, loop: EventLoop,
                lookup: @escaping Lookup = { try SocketAddress.resolve(host: $0, port: $1) },
                completion: @escaping Completion) throws {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2", { relay_pipe(&fds) })
        self.loop = loop
        self.readFD = fds[0]
        self.pending = PendingLookup(host: host, port: port, writeFD: fds[1], resolve: lookup)
        self.completion = completion
        do {
            try loop.watch(readFD, interest: .read, handler: self)
            try pending.start()
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
        completion(pending.result ?? .failure(ResolveError(host: pending.host, reason: "no answer")))
    }
}

/// One lookup, shared by the loop and its thread. The thread sets the result
/// before it writes to the pipe; the loop reads it after the pipe is readable.
/// The pipe orders the two in practice; the lock says so to ThreadSanitizer
/// (which does not see a pipe as synchronization) and to any reader.
private final class PendingLookup {
    let host: String
    let port: Int
    let writeFD: Int32
    let resolve: Resolver.Lookup
    private var answer: Result<[SocketAddress], ResolveError>?
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    init(host: String, port: Int, writeFD: Int32, resolve: @escaping Resolver.Lookup) {
        self.host = host
        self.port = port
        self.writeFD = writeFD
        self.resolve = resolve
        pthread_mutex_init(lock, nil)
    }

    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    var result: Result<[SocketAddress], ResolveError>? {
        get {
            pthread_mutex_lock(lock)
            defer { pthread_mutex_unlock(lock) }
            return answer
        }
        set {
            pthread_mutex_lock(lock)
            answer = newValue
            pthread_mutex_unlock(lock)
        }
    }

    func start() throws {
        let retained = Unmanaged.passRetained(self).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            let lookup = Unmanaged<PendingLookup>.fromOpaque(raw!).takeRetainedValue()
            lookup.run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<PendingLookup>.fromOpaque(retained).release()
            throw SystemError("pthread_create", code: status)
        }
        pthread_detach(thread)
    }

    private func run() {
        do {
            result = .success(try resolve(host, port))
        } catch let error as ResolveError {
            result = .failure(error)
        } catch {
            result = .failure(ResolveError(host: host, reason: "\(error)"))
        }
        // If the loop stopped listening the write fails with EPIPE: fine, but it must
        // not raise SIGPIPE, which kills a process that does not ignore it.
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
        closeDescriptor(writeFD)
    }
}
