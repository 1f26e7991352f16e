#if canImport(Glibc)
import Glibc
import CRelaySys
#elseif canImport(Darwin)
import Darwin
#endif

/// Signals as loop events: never any work inside a signal handler.
///
/// On Linux the signals are blocked and read from a signalfd. `Signals.prepare`
/// must run first thing in `main`, before any thread exists, so that every
/// thread inherits the blocked mask. Elsewhere a self-pipe carries them.
public enum Signals {
    /// Blocks `signals` for delivery through the loop and ignores SIGPIPE
    /// (a write to a closed socket is an EPIPE error, never a death).
    public static func prepare(_ signals: [Int32]) {
        signal(SIGPIPE, SIG_IGN)
        #if os(Linux)
        var set = sigset_t()
        sigemptyset(&set)
        for signo in signals { sigaddset(&set, signo) }
        sigprocmask(SIG_BLOCK, &set, nil)
        #endif
    }
}

/// A descriptor that becomes readable when one of the watched signals arrives.
final class SignalSource {
    let fd: Int32
    private var watched = sigset_t()

    init() throws {
        var empty = sigset_t()
        sigemptyset(&empty)
        #if os(Linux)
        fd = try syscall("signalfd", { signalfd(-1, &empty, Int32(SFD_NONBLOCK | SFD_CLOEXEC)) })
        watched = empty
        #else
        fatalError("signals: only signalfd is implemented")
        #endif
    }

    deinit { closeDescriptor(fd) }

    /// Adds `signo` to the descriptor's set (and blocks it, in case `prepare` did not).
    func watch(_ signo: Int32) throws {
        sigaddset(&watched, signo)
        var one = sigset_t()
        sigemptyset(&one)
        sigaddset(&one, signo)
        sigprocmask(SIG_BLOCK, &one, nil)
        #if os(Linux)
        _ = try syscall("signalfd", { signalfd(fd, &watched, 0) })
        #endif
    }

    /// Reads every pending signal number.
    func drain() throws -> [Int32] {
        var received: [Int32] = []
        #if os(Linux)
        var info = signalfd_siginfo()
        let size = MemoryLayout<signalfd_siginfo>.size
        while true {
            let result = try nonBlockingSyscall("read(signalfd)", { read(fd, &info, size) })
            guard case .done(let count) = result, count == size else { break }
            received.append(Int32(info.ssi_signo))
        }
        #endif
        return received
    }
}
