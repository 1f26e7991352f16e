#if canImport(Glibc)
import Glibc
import CRelaySys
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU-bound work off the loop (password hashing): one worker thread takes
/// jobs in order and hands each result back through a pipe the loop watches,
/// so the completion runs on the loop. At most `limit` jobs are outstanding; `submit`
/// refuses more (the caller says "try again"), so a login flood costs a
/// bounded queue, never the loop's time.
public final class BackgroundWork: ReadinessHandler {
    private let loop: EventLoop
    private let limit: Int
    private let readFD: Int32
    private let writeFD: Int32
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Waiting, done (results not yet handed to the loop), and their completions (loop side only).
    private var waiting: [(id: Int, work: () -> Any)] = []
    private var done: [(id: Int, result: Any)] = []
    private var completions: [Int: (Any) -> Void] = [:]
    private var nextID = 0
    private var closing = false
    private var thread = pthread_t()

    public init(loop: EventLoop, limit: Int = 64) throws {
        var fds: [Int32] = [-1, -1]
        _ = try syscall("pipe2", { relay_pipe(&fds) })
        self.loop = loop
        self.limit = limit
        readFD = fds[0]
        writeFD = fds[1]
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        try loop.watch(readFD, interest: .read, handler: self)
        let retained = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<BackgroundWork>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<BackgroundWork>.fromOpaque(retained).release()
            throw SystemError("pthread_create", code: status)
        }
    }

    /// Runs `work` on the worker, then `completion` with its result on the loop;
    /// false (and neither runs) when `limit` jobs are waiting already.
    @discardableResult
    public func submit<T>(_ work: @escaping () -> T, completion: @escaping (T) -> Void) -> Bool {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        guard completions.count < limit, !closing else { return false }
        nextID += 1
        waiting.append((nextID, { work() }))
        completions[nextID] = { completion($0 as! T) }
        pthread_cond_signal(wake)
        return true
    }

    public func handle(_ event: ReadyEvent) {
        var drain = [UInt8](repeating: 0, count: 256)
        while read(readFD, &drain, drain.count) > 0 {}
        pthread_mutex_lock(lock)
        let finished = done
        done = []
        pthread_mutex_unlock(lock)
        for (id, result) in finished {
            pthread_mutex_lock(lock)
            let completion = completions.removeValue(forKey: id)
            pthread_mutex_unlock(lock)
            completion?(result)
        }
    }

    /// Stops the worker after the job in hand; waiting jobs are dropped.
    public func close() {
        pthread_mutex_lock(lock)
        closing = true
        waiting = []
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
        loop.unwatch(readFD)
    }

    private func run() {
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)  // signals are the loop's
        while true {
            pthread_mutex_lock(lock)
            while waiting.isEmpty && !closing { pthread_cond_wait(wake, lock) }
            if closing {
                pthread_mutex_unlock(lock)
                return
            }
            let job = waiting.removeFirst()
            pthread_mutex_unlock(lock)
            let result = job.work()
            pthread_mutex_lock(lock)
            done.append((job.id, result))
            pthread_mutex_unlock(lock)
            var byte: UInt8 = 1
            _ = write(writeFD, &byte, 1)
        }
    }
}
