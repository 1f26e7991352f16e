#if canImport(Glibc)
import Glibc
#endif

/// Lines to a descriptor relay inherited (stdout), written so that a reader
/// who stops reading never stalls the loop.
///
/// A blocking write to a full pipe would park the whole process: no timer, no
/// signal (they arrive through the loop), so not even SIGTERM ends it. When the
/// descriptor is a pipe or a socket it is made non-blocking for the life of the
/// process (its flags are put back at exit: the shell may share it). Lines are
/// queued and written together once per loop turn, like a connection's; what
/// the reader does not take waits, written when it is writable again. Past
/// `behindAt` waiting bytes the owner hears `onBehind` and stops producing
/// (stops reading the server) until `onDrained`; nothing is dropped. A terminal
/// or a regular file is written directly, as stdio would: a file takes what it
/// is given, and a terminal is the user's own (Ctrl-S stops it, Ctrl-Q starts it).
public final class OutputWriter: ReadinessHandler, Flushable {
    public private(set) var fd: Int32
    private unowned let loop: EventLoop
    private var output: OutputBuffer
    private let behindAt: Int
    private var throughLoop = false
    private var flushQueued = false
    private var waited = false
    /// What ended the output (a closed pipe, a full disk); nothing more is written.
    public private(set) var failure: String?
    /// Called once when a queued write fails (a failure inside `write` is its result instead).
    public var onFailure: ((String) -> Void)?
    /// Called when a write leaves `behindAt` bytes or more waiting for the reader.
    public var onBehind: (() -> Void)?
    /// Called when everything that had to wait for the reader has been written.
    public var onDrained: (() -> Void)?

    /// `behindAt`: the bytes waiting at which the owner should stop producing;
    /// `limit`: the most that may wait at all (one read's worth of lines past
    /// `behindAt` must fit).
    public init(fd: Int32 = STDOUT_FILENO, loop: EventLoop, behindAt: Int = 64 * 1024, limit: Int = 4 * 1024 * 1024) {
        self.fd = fd
        self.loop = loop
        self.behindAt = behindAt
        self.output = OutputBuffer(limit: limit)
        var info = stat()
        let isStream = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT == S_IFIFO || info.st_mode & S_IFMT == S_IFSOCK)
        guard isStream, Self.makeNonBlocking(fd) else { return }
        throughLoop = (try? loop.watch(fd, interest: [], handler: self)) != nil
    }

    /// Bytes queued but not yet taken by the descriptor.
    public var pendingByteCount: Int { output.count }
    /// The reader is slow: the owner should stop producing until `onDrained`.
    public var isBehind: Bool { output.count >= behindAt }

    /// Queues `line` and a newline for this turn's write (or writes them now to
    /// a file or terminal). Returns the reason when the output has failed.
    @discardableResult
    public func write(line: String) -> String? {
        if let failure { return failure }
        guard throughLoop else {
            var bytes = Array(line.utf8)
            bytes.append(10)
            return writeDirectly(bytes)
        }
        guard output.append(line: line) else {
            return fail("the reader is \(output.count) bytes behind; giving up")
        }
        if !flushQueued {
            flushQueued = true
            loop.flushSoon(self)
        }
        return nil
    }

    public func handle(_ event: ReadyEvent) {
        // Nothing waiting means nothing was asked for: the event is the kernel
        // saying the reader is gone (an error or hang-up is always reported).
        guard output.isEmpty else { return flush() }
        onFailure?(fail(String(cString: strerror(EPIPE))))
    }

    public func flush() {
        flushQueued = false
        guard fd >= 0, failure == nil, !output.isEmpty else { return }
        do {
            switch try output.write(toPipe: fd) {
            case .flushed:
                try? loop.setInterest(fd, [])
                if waited {
                    waited = false
                    onDrained?()
                }
            case .pending:
                if !waited { try? loop.setInterest(fd, .write) }
                waited = true
                if isBehind { onBehind?() }
            }
        } catch {
            onFailure?(fail((error as? SystemError)?.reason ?? "\(error)"))
        }
    }

    private func writeDirectly(_ bytes: [UInt8]) -> String? {
        let code = Self.writeAll(fd, bytes)
        return code == 0 ? nil : fail(String(cString: strerror(code)))
    }

    /// Writes all of `bytes`, waiting as a blocking write would even if the
    /// descriptor is non-blocking (stderr shares stdout's open file in `2>&1`).
    /// Returns 0, or the errno that stopped it.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            do {
                switch try nonBlockingSyscall("write", { bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) } }) {
                case .wouldBlock:
                    var ready = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&ready, 1, -1)
                case .done(0):
                    return EIO
                case .done(let written):
                    offset += written
                }
            } catch {
                return (error as? SystemError)?.code ?? EIO
            }
        }
        return 0
    }

    private func fail(_ reason: String) -> String {
        failure = reason
        output.removeAll()
        if throughLoop, fd >= 0 { loop.unwatch(fd) }
        fd = -1
        return reason
    }

    // MARK: The descriptor's flags

    /// Flags to put back at exit, by descriptor; O_NONBLOCK lives in the open
    /// file, which the shell or the next command of a pipeline may share.
    /// (nonisolated(unsafe): written on the loop's thread, read by the atexit
    /// handler of that same thread once the loop has stopped.)
    nonisolated(unsafe) private static var savedFlags: [(fd: Int32, flags: Int32)] = []

    private static func makeNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0 else { return false }
        if flags & O_NONBLOCK != 0 { return true }
        guard fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else { return false }
        if savedFlags.isEmpty { atexit { OutputWriter.restoreFlags() } }
        savedFlags.append((fd, flags))
        return true
    }

    /// Puts back the flags of every descriptor made non-blocking (at exit).
    public static func restoreFlags() {
        for saved in savedFlags { _ = fcntl(saved.fd, F_SETFL, saved.flags) }
        savedFlags = []
    }
}
