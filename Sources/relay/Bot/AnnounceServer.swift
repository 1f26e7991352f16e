import RelayClient
import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// The announce socket (`--listen PATH`): a Unix socket whose writers each send
/// `#room text` or `nick text` lines and read one reply line per line. What
/// the lines mean is `AnnounceQueue`'s business; this only accepts and frames.
final class AnnounceServer: ReadinessHandler, ConnectionDelegate {
    let path: String
    private let fd: Int32
    private unowned let loop: EventLoop
    private var writers: [Int: Connection] = [:]
    /// Lines each writer sent that still await their reply.
    private var unanswered: [Int: Int] = [:]
    /// Writers that half-closed (nc after its input): closed once all is answered.
    private var doneWriting: Set<Int> = []
    /// Lines received from each writer, so a quiet timer knows whether more came since.
    private var received: [Int: Int] = [:]
    /// A writer that has every answer and sends nothing more for this long is
    /// closed: Debian's netcat-openbsd never half-closes, and would wait forever.
    static let quietClose: Duration = .seconds(1)
    private var nextID = 0
    private let onLine: (Int, String) -> Void
    private let onGone: (Int) -> Void
    private var closed = false
    /// Connections at once; more are refused with an error line.
    private let maxWriters = 256

    init(path: String, loop: EventLoop, onLine: @escaping (Int, String) -> Void, onGone: @escaping (Int) -> Void) throws {
        self.path = path
        self.loop = loop
        self.onLine = onLine
        self.onGone = onGone
        fd = try UnixSocket.listen(path: path)
        do {
            try loop.watch(fd, interest: .read, handler: self)
        } catch {
            closeDescriptor(fd)
            unlink(path)
            throw error
        }
    }

    func handle(_ event: ReadyEvent) {
        while true {
            let client: Int32
            do {
                guard case .done(let accepted) = try UnixSocket.accept(fd) else { return }
                client = accepted
            } catch let error as SystemError where error.isDescriptorExhaustion {
                // The listener stays readable: stop listening for a moment instead of spinning.
                try? loop.setInterest(fd, [])
                loop.schedule(after: .milliseconds(100)) { [weak self] in
                    guard let self, !self.closed else { return }
                    try? self.loop.setInterest(self.fd, .read)
                }
                return
            } catch {
                return
            }
            nextID += 1
            let connection = Connection(fd: client, tag: nextID, loop: loop, maxLineLength: 16 * 1024, sendQueueLimit: 1 << 20)
            connection.delegate = self
            guard writers.count < maxWriters, (try? connection.start()) != nil else {
                connection.send(Array("error too many writers at once; try later\n".utf8))
                connection.close()
                continue
            }
            writers[nextID] = connection
        }
    }

    func reply(_ writer: Int, _ text: String) {
        guard let connection = writers[writer] else { return }
        connection.send(Array((text + "\n").utf8))
        if AnnounceQueue.isNote(text) { return }  // news; the answer is still to come
        unanswered[writer, default: 1] -= 1
        guard unanswered[writer]! <= 0 else { return }
        if doneWriting.contains(writer) { return connection.close() }
        let seen = received[writer, default: 0]
        loop.schedule(after: Self.quietClose) { [weak self, weak connection] in
            guard let self, let connection, self.received[writer, default: 0] == seen,
                  self.unanswered[writer, default: 0] <= 0 else { return }
            connection.close()
        }
    }

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {
        received[connection.tag, default: 0] += 1
        switch frame {
        case .line(let bytes):
            unanswered[connection.tag, default: 0] += 1
            onLine(connection.tag, String(decoding: bytes, as: UTF8.self))
        case .tooLong(let length):
            unanswered[connection.tag, default: 0] += 1
            reply(connection.tag, "error a line of \(length) bytes is too long")
        }
    }

    func connectionReadEnded(_ connection: Connection) -> Bool {
        guard unanswered[connection.tag, default: 0] > 0 else { return false }
        doneWriting.insert(connection.tag)
        return true
    }

    func connectionClosed(_ connection: Connection, reason: String?) {
        writers[connection.tag] = nil
        unanswered[connection.tag] = nil
        received[connection.tag] = nil
        doneWriting.remove(connection.tag)
        onGone(connection.tag)
    }

    /// Stops listening and removes the socket file; open writers get what is queued.
    func close() {
        closed = true
        loop.unwatch(fd)
        closeDescriptor(fd)
        unlink(path)
        for writer in writers.values { writer.close() }
    }
}
