#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a connection tells its owner.
public protocol ConnectionDelegate: AnyObject {
    /// A line (or an over-long line's report) arrived.
    func connection(_ connection: Connection, received frame: LineFramer.Frame)
    /// The connection is closed. `reason` says why when the close was not asked
    /// for ("Connection reset by peer", "SendQ exceeded", ...); nil when it was.
    func connectionClosed(_ connection: Connection, reason: String?)
    /// The peer shut down its writing side (EOF). Return true to keep writing to
    /// it (`nc` half-closes after its input and still reads the answers); the
    /// owner then calls `close()` when it has said everything. By default, closed.
    func connectionReadEnded(_ connection: Connection) -> Bool
    /// The transport's handshake is complete (TLS); lines flow from now on.
    func connectionSecured(_ connection: Connection)
    /// What was read, unframed, for a connection made with `framed: false` (HTTP).
    func connection(_ connection: Connection, receivedBytes bytes: ArraySlice<UInt8>)
}

extension ConnectionDelegate {
    public func connectionReadEnded(_ connection: Connection) -> Bool { false }
    public func connectionSecured(_ connection: Connection) {}
    public func connection(_ connection: Connection, receivedBytes bytes: ArraySlice<UInt8>) {}
}

/// A line-framed, non-blocking TCP connection in the loop: the one framer and
/// the one output buffer, shared by server, client and bridge.
///
/// States, in order:
/// - open: lines in, lines out;
/// - draining: `close()` was called; writing what is queued, reading nothing;
/// - lingering: all written and our side shut down; waiting for the peer's EOF,
///   so closing never turns unread input into a RST that destroys our last lines;
/// - closed: the descriptor is gone.
/// Draining and lingering together are bounded by `lingerTimeout`.
///
/// Every stream goes through the same steps: its `StreamTransport` when one is
/// given (TLS), else the socket itself (`PlainSocket`), so EOF, half-close,
/// lingering and errors have one path. The transport is driven on any
/// readiness: handshake until done, then write until it blocks, then read
/// until it wants more from the socket (what TLS has decrypted and holds is
/// invisible to the selector, so it must not stop early; a socket stops after
/// a short read). Lines sent before the handshake is done wait.
public final class Connection: ReadinessHandler, Flushable {
    public enum State: UInt8 { case open, draining, lingering, closed }

    // Memory: one of these per connection, so the small fields are grouped
    // (Swift lays fields out in the order written): 8 bytes for all of them.
    public let fd: Int32
    public private(set) var state: State = .open
    /// Lines for the delegate; else every read as it came (a protocol with its own parser).
    private let framed: Bool
    private var flushQueued = false
    /// The peer half-closed and the owner keeps writing: read interest is off for good.
    private var readEnded = false
    private var readPaused = false
    /// The transport's handshake is done (always true without one).
    public private(set) var isSecured: Bool
    private var releaseScheduled = false
    private var failedInTransport = false
    /// Lines handed to the owner per loop turn at most; what a read brought
    /// beyond them waits in `held`, with reading off (TCP holds the rest), and
    /// goes on next turn: one chunk of 30,000 tiny lines cannot make one turn
    /// do 30,000 commands' work while everyone else waits.
    public var maxLinesPerTurn: Int { Int(linesPerTurn) }
    private let linesPerTurn: Int32
    private let lingerMilliseconds: Int32
    /// Bytes read but not framed yet (at most one read's worth), from `heldFrom`
    /// on: each turn frames its lines in place and moves the start, instead of
    /// copying the rest again (a 64 KiB read of tiny lines takes hundreds of turns).
    private var heldFrom: Int32 = 0
    private var held: [UInt8] = []
    private var isHolding: Bool { Int(heldFrom) < held.count }

    /// The owner's name for this connection.
    public let tag: Int
    public weak var delegate: ConnectionDelegate?
    private unowned let loop: EventLoop
    private var framer: LineFramer
    private var output: OutputBuffer
    /// The transport given (TLS), nil for plain TCP: then bytes go through the
    /// socket itself, with no object of its own (32 bytes a plain connection).
    public let transport: StreamTransport?
    /// Set when the connection failed inside `send` ("SendQ exceeded"); reported
    /// at the next flush, outside the caller's broadcast. Also what a failed
    /// TLS transport said (`failedInTransport`): one field for both.
    private var failure: TransportError?
    private var lingerTimer = TimerID.none
    /// What ended the connection, when the transport failed.
    public var transportFailure: TransportError? { failedInTransport ? failure : nil }

    /// One read buffer for every connection: the loop runs one read at a time.
    /// (nonisolated(unsafe): every Connection lives on the loop's one thread.)
    nonisolated(unsafe) private static var scratch = [UInt8](repeating: 0, count: 64 * 1024)

    public init(fd: Int32, tag: Int, loop: EventLoop, maxLineLength: Int, sendQueueLimit: Int,
                lingerTimeout: Duration = .seconds(2), transport: StreamTransport? = nil, maxLinesPerTurn: Int = .max,
                framed: Bool = true) {
        self.framed = framed
        self.linesPerTurn = Int32(clamping: max(1, maxLinesPerTurn))
        self.fd = fd
        self.transport = transport
        self.isSecured = transport == nil
        self.tag = tag
        self.loop = loop
        self.framer = LineFramer(maxLineLength: maxLineLength)
        self.output = OutputBuffer(limit: sendQueueLimit)
        self.lingerMilliseconds = Int32(clamping: lingerTimeout.components.seconds * 1000
                                        + lingerTimeout.components.attoseconds / 1_000_000_000_000_000)
    }

    /// Starts reading.
    public func start() throws {
        try loop.watch(fd, interest: .read, handler: self)
        // A client speaks first. Not from here: what the handshake reads could
        // reach the delegate before the owner has finished admitting us.
        if transport != nil { queueFlush() }
    }

    // MARK: Output

    /// Queues one line; it is written at the start of the next loop turn. When
    /// the queue is full, what the socket takes now is written first (one turn
    /// can produce more than the limit for a reader that keeps up); if the line
    /// still does not fit, the reader is too slow: "SendQ exceeded".
    public func send(_ line: [UInt8]) {
        guard state == .open, failure == nil else { return }
        if !output.append(line) {
            writeWhatFits()
            if failure == nil && !output.append(line) {
                failure = TransportError("SendQ exceeded")
            }
            if failure != nil { output.removeAll() }
        }
        queueFlush()
    }

    /// Inside `send` (often inside the owner's broadcast): what the stream takes
    /// now, without reading and without closing; a failure is only noted, and
    /// reported at the next flush.
    private func writeWhatFits() {
        guard isSecured else { return }
        do {
            _ = try output.write { (bytes: UnsafeRawBufferPointer) throws -> Int? in
                guard case .done(let count) = try streamWrite(bytes) else { return nil }
                return count
            }
        } catch {
            failure = error as? TransportError ?? TransportError(Self.reason(error))
        }
    }

    private func queueFlush() {
        if !flushQueued {
            flushQueued = true
            loop.flushSoon(self)
        }
    }

    public func flush() {
        flushQueued = false
        if let failure { return finish(reason: failure.reason) }
        guard state == .open || state == .draining else { return }
        driveTransport(reading: !isSecured)
    }

    // MARK: Input

    /// Stops reading: what the peer sends waits in the kernel, then in the
    /// peer's own send queue (TCP's backpressure), until `resumeReading()`.
    /// For an owner whose consumer is behind (a stdout nobody reads).
    public func pauseReading() {
        guard !readPaused, state == .open else { return }
        readPaused = true
        try? loop.setInterest(fd, loop.interest(of: fd).subtracting(.read))
    }

    public func resumeReading() {
        guard readPaused else { return }
        readPaused = false
        guard state == .open, !readEnded else { return }
        if isHolding { return scheduleRelease() }
        // Next turn: sets the read interest back, and reads what TLS may hold unseen by the selector.
        loop.schedule(after: .zero) { [weak self] in self?.driveTransport() }
    }

    public func handle(_ event: ReadyEvent) {
        // Asked for nothing (half-closed, all written) and still woken: the peer is gone.
        if !event.readable && !event.writable { return finish(reason: "Remote host closed the connection") }
        // After a half-close nothing more is asked to be read: readable now is the peer gone for good.
        if readEnded && state == .open && event.readable && !event.writable {
            return finish(reason: "Remote host closed the connection")
        }
        driveTransport()
    }

    // MARK: Through a transport

    /// Handshake, then write, then read until the transport wants the socket.
    private func driveTransport(reading: Bool = true) {
        guard state != .closed else { return }
        do {
            if !isSecured {
                switch try transport?.handshake() ?? .done(0) {
                case .wantRead: return try setTransportInterest(write: false)
                case .wantWrite: return try setTransportInterest(write: true)
                case .done:
                    isSecured = true
                    delegate?.connectionSecured(self)
                    guard state != .closed else { return }
                }
            }
            var blockedOnWrite = false
            if state == .open || state == .draining {
                var blocked: TransportResult?
                let outcome = try output.write { (bytes: UnsafeRawBufferPointer) throws -> Int? in
                    let result = try streamWrite(bytes)
                    if case .done(let count) = result { return count }
                    blocked = result
                    return nil
                }
                blockedOnWrite = blocked == .wantWrite
                if outcome == .flushed && state == .draining {
                    transport?.shutdown()
                    state = .lingering
                    shutdown(fd, Int32(SHUT_WR))
                }
            }
            if state == .lingering {
                // Waiting for the peer's end: what it still sends is dropped.
                while case .done(let count) = try streamRead() {
                    if count == 0 { return finish(reason: nil) }
                }
            } else if reading || !isSecured {
                if readThroughTransport() == .wantWrite { blockedOnWrite = true }
                guard state != .closed else { return }
            }
            try setTransportInterest(write: blockedOnWrite)
        } catch {
            if state == .draining || state == .lingering { return finish(reason: nil) }
            fail(error)
        }
    }

    /// Reads until the transport waits for the socket, or one scratch buffer's
    /// worth (like a plain read, so one busy sender cannot starve the others);
    /// never stopping while the transport holds input the selector cannot see.
    /// Returns what the transport waits for.
    @discardableResult
    private func readThroughTransport() -> TransportResult? {
        var budget = Self.scratch.count
        do {
            while state == .open, !readEnded, !readPaused, !isHolding, budget > 0 || transport?.hasBufferedInput == true {
                let result = try streamRead()
                guard case .done(let count) = result else { return result }
                if count == 0 {
                    if let last = framer.finish() { delegate?.connection(self, received: last) }
                    guard state == .open else { return nil }
                    if delegate?.connectionReadEnded(self) == true {
                        readEnded = true
                        return nil
                    }
                    finish(reason: "Remote host closed the connection")
                    return nil
                }
                budget -= count
                deliver(Self.scratch[0..<count])
                if isHolding { return nil }  // the turn's lines are used up: the rest next turn
                if count < Self.scratch.count && transport?.stopsAfterShortRead ?? true { return .wantRead }
            }
        } catch {
            fail(error)
        }
        return nil
    }

    // MARK: Lines per turn

    /// Frames what was just read up to the turn's budget; the rest is held
    /// (copied once out of the shared scratch buffer), reading off.
    private func deliver(_ bytes: ArraySlice<UInt8>) {
        let stop = frame(bytes)
        guard stop < bytes.endIndex, state == .open else { return }
        held = Array(bytes[stop...])
        heldFrom = 0
        scheduleRelease()
    }

    /// Hands the owner at most a turn's lines of `bytes`; returns where it stopped.
    private func frame(_ bytes: ArraySlice<UInt8>) -> Int {
        guard framed else {
            if state == .open, failure == nil { delegate?.connection(self, receivedBytes: bytes) }
            return bytes.endIndex
        }
        return framer.feed(bytes, maxFrames: Int(linesPerTurn)) { frame in
            guard state == .open, failure == nil else { return }
            delegate?.connection(self, received: frame)
        }
    }

    private func scheduleRelease() {
        guard !releaseScheduled else { return }
        releaseScheduled = true
        loop.schedule(after: .zero) { [weak self] in self?.releaseHeld() }
    }

    /// Next turn: the held bytes, up to the budget again; once they are all
    /// framed, reading goes on.
    private func releaseHeld() {
        releaseScheduled = false
        guard state == .open, !readPaused, isHolding else { return }
        heldFrom = Int32(frame(held[Int(heldFrom)...]))
        guard state == .open else { return }
        if isHolding { return scheduleRelease() }
        held = []
        heldFrom = 0
        driveTransport()  // TLS may hold more the selector cannot see; a socket gets its read interest back
    }

    private func fail(_ error: Error) {
        let failure = error as? TransportError ?? TransportError(Self.reason(error))
        if transport != nil {  // a TLS failure is kept for the owner; a socket's is only the reason
            self.failure = failure
            failedInTransport = true
        }
        finish(reason: failure.reason)
    }

    private func setTransportInterest(write: Bool) throws(TransportError) {
        guard state != .closed else { return }
        // A handshake reads whether or not the owner has paused: it delivers no lines.
        var interest: Interest = (readEnded || ((readPaused || isHolding) && isSecured)) && state == .open ? [] : .read
        if write { interest.insert(.write) }
        do {
            if loop.interest(of: fd) != interest { try loop.setInterest(fd, interest) }
        } catch {
            throw TransportError(Self.reason(error))
        }
    }

    /// Reads into the shared scratch buffer, through the transport or from the socket.
    private func streamRead() throws(TransportError) -> TransportResult {
        do {
            return try Self.scratch.withUnsafeMutableBytes { buffer in
                guard let transport else { return try PlainSocket.read(fd, into: buffer) }
                return try transport.read(into: buffer)
            }
        } catch {
            throw error as? TransportError ?? TransportError("\(error)")
        }
    }

    private func streamWrite(_ bytes: UnsafeRawBufferPointer) throws -> TransportResult {
        guard let transport else { return try PlainSocket.write(fd, bytes) }
        return try transport.write(bytes)
    }

    // MARK: Closing

    /// Writes what is queued, then closes (bounded by the linger timeout).
    public func close() {
        guard state == .open else { return }
        state = .draining
        lingerTimer = loop.schedule(after: .milliseconds(lingerMilliseconds)) { [weak self] in self?.finish(reason: nil) }
        queueFlush()
    }

    /// Closes now, dropping anything queued.
    public func abort() {
        finish(reason: nil)
    }

    /// Closes the descriptor and tells the delegate; the reason is reported only
    /// if the connection was open (a close we asked for needs no explanation).
    private func finish(reason: String?) {
        guard state != .closed else { return }
        let wasOpen = state == .open
        state = .closed
        loop.cancel(lingerTimer)
        loop.unwatch(fd)
        closeDescriptor(fd)
        output.removeAll()
        held = []
        heldFrom = 0
        delegate?.connectionClosed(self, reason: wasOpen ? reason : nil)
    }

    private static func reason(_ error: Error) -> String {
        (error as? SystemError)?.reason ?? "\(error)"
    }
}
