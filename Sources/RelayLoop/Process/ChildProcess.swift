#if canImport(Glibc)
import Glibc
import CRelaySys
#endif

/// A child process started with posix_spawn, its standard streams on pipes
/// whose parent ends are non-blocking, ready to be loop sources.
///
/// posix_spawn and not Foundation's Process or swift-subprocess: both run their
/// own threads or async tasks to wait and read, and here every wait belongs to
/// the one loop (pipes as descriptors, exits through the loop's SIGCHLD).
///
/// The child gets a process group of its own (so a timeout can kill what it
/// forked too), an empty signal mask and default dispositions (relay blocks and
/// ignores signals that a script must not inherit), and `/bin/sh -c COMMAND`.
public final class ChildProcess {
    public let pid: pid_t
    /// Our ends: write to the child's stdin, read its stdout and stderr.
    public let stdin: Int32
    public let stdout: Int32
    public let stderr: Int32

    private init(pid: pid_t, stdin: Int32, stdout: Int32, stderr: Int32) {
        self.pid = pid
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Runs `command` under `/bin/sh -c`, with relay's environment plus
    /// `environment`, less the variables named in `removing` (secrets).
    public static func spawn(shellCommand command: String, environment: [String: String] = [:],
                             removing hidden: [String] = []) throws -> ChildProcess {
        var pipes: [[Int32]] = []
        defer { for pair in pipes { for fd in pair where fd >= 0 { closeDescriptor(fd) } } }
        for _ in 0..<3 {
            var fds: [Int32] = [-1, -1]
            _ = try syscall("pipe2", { relay_pipe_blocking(&fds) })
            pipes.append(fds)
        }
        // The child's ends: stdin reads pipes[0][0]; stdout and stderr write pipes[1][1], pipes[2][1].
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
        posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
        posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
        // Nothing else of relay's leaks into the script: not its sockets, and not a
        // descriptor relay inherited (a parent that waits for EOF on it would hang).
        posix_spawn_file_actions_addclosefrom_np(&actions, 3)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signo in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGWINCH, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signo) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var merged: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") { merged[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            cursor += 1
        }
        for name in hidden { merged[name] = nil }
        merged.merge(environment) { $1 }
        let words: [String] = ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
        guard status == 0 else { throw SystemError("posix_spawn /bin/sh", code: status) }

        let ours = (stdin: pipes[0][1], stdout: pipes[1][0], stderr: pipes[2][0])
        pipes[0][1] = -1; pipes[1][0] = -1; pipes[2][0] = -1  // kept; the deferred close takes the child's ends
        for fd in [ours.stdin, ours.stdout, ours.stderr] { try? setNonBlocking(fd) }
        return ChildProcess(pid: pid, stdin: ours.stdin, stdout: ours.stdout, stderr: ours.stderr)
    }

    /// Sends `signo` to the child's whole process group (it and what it forked).
    public func signalGroup(_ signo: Int32) {
        _ = kill(-pid, signo)
    }
}

/// Child exits as loop events: SIGCHLD through the loop's signalfd, then
/// waitpid until there is nothing more to reap.
public final class ChildReaper {
    private var waiting: [pid_t: (Int32) -> Void] = [:]

    public init(loop: EventLoop) throws {
        try loop.onSignal(SIGCHLD) { [weak self] _ in self?.reap() }
    }

    /// Calls `onExit` with the exit status (128 + N for a child killed by signal N).
    public func watch(_ pid: pid_t, onExit: @escaping (Int32) -> Void) {
        waiting[pid] = onExit
        reap()  // it may be gone already
    }

    public var count: Int { waiting.count }

    private func reap() {
        for pid in Array(waiting.keys) {
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == pid else { continue }
            waiting.removeValue(forKey: pid)?(Self.exitStatus(status))
        }
    }

    /// WIFEXITED/WEXITSTATUS and WTERMSIG, which Swift does not import (macros).
    static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}
