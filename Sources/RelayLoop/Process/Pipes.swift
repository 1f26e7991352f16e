#if canImport(Glibc)
import Glibc
#endif

/// The read end of a pipe in the loop, framed into lines.
///
/// `pause()` stops reading (the writer then blocks once the pipe fills: the
/// natural backpressure for a script that prints faster than it may speak).
public final class PipeReader: ReadinessHandler {
    public private(set) var fd: Int32
    private unowned let loop: EventLoop
    private var framer: LineFramer
    private var buffer = [UInt8](repeating: 0, count: 16 * 1024)
    private let onFrame: (LineFramer.Frame) -> Void
    /// The pipe ended: nil at EOF, or why reading failed (never taken for an EOF).
    private let onEnd: (String?) -> Void

    public init(fd: Int32, loop: EventLoop, maxLineLength: Int = 16 * 1024,
                onFrame: @escaping (LineFramer.Frame) -> Void, onEnd: @escaping (String?) -> Void) throws {
        self.fd = fd
        self.loop = loop
        self.framer = LineFramer(maxLineLength: maxLineLength)
        self.onFrame = onFrame
        self.onEnd = onEnd
        try loop.watch(fd, interest: .read, handler: self)
    }

    public var isOpen: Bool { fd >= 0 }

    public func pause() { if fd >= 0 { try? loop.setInterest(fd, []) } }
    public func resume() { if fd >= 0 { try? loop.setInterest(fd, .read) } }

    public func handle(_ event: ReadyEvent) {
        _ = readOnce()
    }

    /// Reads what the pipe holds now, up to its end, without waiting for more
    /// (before giving up on a writer that keeps it open): at most what a full
    /// pipe holds, so a grandchild that writes forever cannot keep the loop here.
    public func drain() {
        var reads = 0
        while reads < 8, fd >= 0, readOnce() { reads += 1 }
    }

    /// One read; false when nothing more is there now (or the pipe ended).
    private func readOnce() -> Bool {
        guard fd >= 0 else { return false }
        let count: Int
        do {
            switch try nonBlockingSyscall("read", { buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) } }) {
            case .wouldBlock: return false
            case .done(let read): count = read
            }
        } catch {
            // Nothing more will come, but it is not the writer's end: say why.
            if let last = framer.finish() { onFrame(last) }
            close()
            onEnd((error as? SystemError)?.description ?? "\(error)")
            return false
        }
        guard count > 0 else {
            if let last = framer.finish() { onFrame(last) }
            close()
            onEnd(nil)
            return false
        }
        framer.feed(buffer[0..<count]) { onFrame($0) }
        return true
    }

    /// Stops reading and closes our end (the writer gets EPIPE).
    public func close() {
        guard fd >= 0 else { return }
        loop.unwatch(fd)
        closeDescriptor(fd)
        fd = -1
    }

    deinit { close() }
}

/// The write end of a pipe in the loop, with a bounded buffer: a reader that
/// stops reading can never stall the loop, only fill the bound.
public final class PipeWriter: ReadinessHandler {
    public private(set) var fd: Int32
    private unowned let loop: EventLoop
    private var output: OutputBuffer
    private var closeWhenFlushed = false
    /// Called once if the reader went away (EPIPE) or a write failed.
    public var onBroken: (() -> Void)?

    public init(fd: Int32, loop: EventLoop, limit: Int) throws {
        self.fd = fd
        self.loop = loop
        self.output = OutputBuffer(limit: limit)
        try loop.watch(fd, interest: [], handler: self)
    }

    public var isOpen: Bool { fd >= 0 && !closeWhenFlushed }
    public var bufferedByteCount: Int { output.count }

    /// Queues `bytes` and writes what the pipe takes now; false when the bound
    /// is reached (the bytes are not queued).
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard isOpen else { return false }
        guard output.append(bytes) else { return false }
        flush()
        return true
    }

    /// Closes once everything queued is written (the reader then sees EOF).
    public func closeAfterFlush() {
        guard fd >= 0 else { return }
        closeWhenFlushed = true
        flush()
    }

    public func handle(_ event: ReadyEvent) {
        // With nothing to write we ask for nothing: an event now is the kernel
        // reporting an error or hang-up (EPOLLERR is always reported), and a
        // level-triggered one would repeat forever.
        if output.isEmpty {
            close()
            onBroken?()
            return
        }
        flush()
    }

    private func flush() {
        guard fd >= 0 else { return }
        do {
            let outcome = try output.write(toPipe: fd)
            switch outcome {
            case .flushed:
                if closeWhenFlushed { return close() }
                try? loop.setInterest(fd, [])
            case .pending:
                try? loop.setInterest(fd, .write)
            }
        } catch {
            close()
            onBroken?()
        }
    }

    public func close() {
        guard fd >= 0 else { return }
        loop.unwatch(fd)
        closeDescriptor(fd)
        fd = -1
        output.removeAll()
    }

    deinit { close() }
}
