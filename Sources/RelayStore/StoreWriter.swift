import RelayServer
#if canImport(Glibc)
import Glibc
#endif

/// Writes rooms' history off the loop: the loop hands over each turn's changes
/// (`submit`, a lock and a signal, never I/O), and one thread commits what has
/// arrived in one transaction — one turn's, or several when the disk is slow.
/// A slow disk therefore never stalls a room; what it costs is memory, bounded
/// by `maxPending` changes (beyond that the oldest are dropped and counted, and
/// only the disk misses them: the rooms keep their lines).
public final class StoreWriter {
    public let path: String
    private let keepLines: Int
    private let keepFor: Int64?
    private let maxPending: Int
    private let database: Database
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var pending: [StateChange] = []
    private var closing = false
    private var thread = pthread_t()
    private var started = false
    // Shared with the loop under the lock.
    private var problems: [String] = []
    private var dropped = 0
    /// The same failure again and again (a full disk fails every commit) is said
    /// once, then counted, until a commit succeeds: not a log line a turn.
    private var failing: String?
    private var failedAgain = 0
    public private(set) var committedBatches = 0

    /// `keepLines` per room and, when given, `keepFor` milliseconds: older lines are pruned now and then.
    public init(path: String, keepLines: Int, keepFor: Int64?, maxPending: Int = 100_000) throws {
        self.path = path
        self.keepLines = keepLines
        self.keepFor = keepFor
        self.maxPending = maxPending
        database = try Database(path: path)
        try Schema.migrate(database)
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
    }

    deinit {
        close()
        pthread_cond_destroy(wake)
        pthread_mutex_destroy(lock)
        lock.deallocate()
        wake.deallocate()
    }

    /// Tests: a disk that fills up after `pages` pages of the database.
    func limitPages(_ pages: Int) throws {
        try database.execute("PRAGMA max_page_count = \(pages)")
    }

    public func start() throws {
        let retained = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let writer = Unmanaged<StoreWriter>.fromOpaque(raw!).takeRetainedValue()
            writer.run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<StoreWriter>.fromOpaque(retained).release()
            throw StoreError("pthread_create: \(status)")
        }
        started = true
    }

    /// A turn's changes, in order. Never blocks on the disk.
    public func submit(_ changes: [StateChange]) {
        guard !changes.isEmpty else { return }
        pthread_mutex_lock(lock)
        pending += changes
        if pending.count > maxPending {
            let excess = pending.count - maxPending
            pending.removeFirst(excess)
            dropped += excess
        }
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
    }

    /// What went wrong since the last call (a full disk, a dropped backlog), to say on stderr.
    public func takeProblems() -> [String] {
        pthread_mutex_lock(lock)
        defer { pthread_mutex_unlock(lock) }
        var said = problems
        if failedAgain > 0 { said.append("\(failing ?? "history not saved"), \(failedAgain) more time(s)") }
        failedAgain = 0
        if dropped > 0 { said.append("the disk was too slow: \(dropped) history line(s) were not saved") }
        problems = []
        dropped = 0
        return said
    }

    /// Commits what is pending and stops the thread (at shutdown).
    public func close() {
        pthread_mutex_lock(lock)
        let wasClosing = closing
        closing = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
        if started && !wasClosing { pthread_join(thread, nil) }
    }

    private func run() {
        // Signals are the loop's (signalfd): this thread must never take one.
        var all = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_BLOCK, &all, nil)
        let history = StateTables(database)
        let meta = MetaTable(database)
        var sincePrune = 0
        var touched: Set<String> = []
        while true {
            pthread_mutex_lock(lock)
            while pending.isEmpty && !closing { pthread_cond_wait(wake, lock) }
            let batch = pending
            pending = []
            let done = closing && batch.isEmpty
            pthread_mutex_unlock(lock)
            if done { return }
            do {
                try database.transaction {
                    var highest: UInt64 = 0
                    for change in batch {
                        try history.apply(change)
                        if case .said(let line) = change {
                            highest = max(highest, line.msgid)
                            touched.insert(line.room)
                        }
                    }
                    // Pruning may empty the table: msgids must still never repeat after a restart.
                    if highest > 0 { try meta.set("last-msgid", String(highest)) }
                }
                sincePrune += batch.count
                if sincePrune >= 1_000 {
                    sincePrune = 0
                    let cutoff = keepFor.map { Int64(time(nil)) * 1000 - $0 }
                    try database.transaction { try history.prune(keeping: keepLines, before: cutoff, rooms: touched) }
                    touched = []
                }
                pthread_mutex_lock(lock)
                if failing != nil { problems.append("history is saved again") }
                failing = nil
                pthread_mutex_unlock(lock)
            } catch {
                let problem = "history not saved: \(error)"
                pthread_mutex_lock(lock)
                if failing == problem { failedAgain += 1 } else { problems.append(problem) }
                failing = problem
                pthread_mutex_unlock(lock)
            }
            pthread_mutex_lock(lock)
            committedBatches += 1
            pthread_mutex_unlock(lock)
        }
    }
}
