import RelayHTTP
import RelayLoop
import RelayTLS
#if canImport(Glibc)
import Glibc
#endif

/// The webhook listener (`--http HOST:PORT`): HTTP/1.1 over TCP (or TLS) on the
/// loop. It reads and answers; what a request means is `Webhooks`' business,
/// and its lines go through the bot's announce queue like any other writer's.
///
/// One request at a time per connection (reading stops while one is being
/// answered); keep-alive and pipelining work. Limits, so no client can hold
/// the loop or memory: `Limits` bytes a request, `maxConnections` at once, a
/// request must arrive whole within `requestTimeout` (a slow-loris client is
/// answered 408 and dropped), and an idle keep-alive connection is closed after
/// the same time.
final class WebhookServer: ReadinessHandler, ConnectionDelegate {
    struct Settings {
        var host = "127.0.0.1"
        var port = 8080
        var tls: TLSContext?
        var limits = HTTPRequestParser.Limits()
        var requestTimeout: Duration = .seconds(10)
        var maxConnections = 64
    }

    /// A request the owner must answer with `respond(_:_:)`, by its id (each
    /// request has its own: replies for an answered one never reach the next).
    typealias RequestHandler = (_ id: Int, _ request: HTTPRequest) -> Void

    struct StartFailure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writer ids start here, apart from the announce socket's (the two share one queue).
    static let firstID = 1 << 40

    let listener: Listener
    private let settings: Settings
    private unowned let loop: EventLoop
    private let onRequest: RequestHandler
    private var exchanges: [Int: Exchange] = [:]
    /// Requests in flight: their connection's tag.
    private var requests: [Int: Int] = [:]
    private var nextTag = 0
    private var nextRequest = firstID
    private var closed = false

    /// One connection's state.
    private final class Exchange {
        let connection: Connection
        let parser: HTTPRequestParser
        var timer: TimerID?
        /// A request is being answered: nothing more is read until it is.
        var busy = false
        var keepAlive = true
        var isHead = false

        init(connection: Connection, limits: HTTPRequestParser.Limits) {
            self.connection = connection
            self.parser = HTTPRequestParser(limits: limits)
        }
    }

    init(settings: Settings, loop: EventLoop, onRequest: @escaping RequestHandler) throws {
        self.settings = settings
        self.loop = loop
        self.onRequest = onRequest
        do {
            listener = try Listener(host: settings.host, port: settings.port)
        } catch {
            throw StartFailure(description: "http: \(error)")  // "relay: http: bind 127.0.0.1:8080: Address already in use"
        }
        try loop.watch(listener.fd, interest: .read, handler: self)
    }

    var url: String { "\(settings.tls == nil ? "http" : "https")://\(listener.address)" }

    // MARK: Accepting

    func handle(_ event: ReadyEvent) {
        for _ in 0..<64 {
            let fd: Int32
            do {
                guard case .done(let accepted) = try listener.accept() else { return }
                fd = accepted
            } catch let error as SystemError where error.isDescriptorExhaustion {
                try? loop.setInterest(listener.fd, [])
                loop.schedule(after: .milliseconds(100)) { [weak self] in
                    guard let self, !self.closed else { return }
                    try? self.loop.setInterest(self.listener.fd, .read)
                }
                return
            } catch {
                continue
            }
            admit(fd)
        }
    }

    private func admit(_ fd: Int32) {
        Socket.configureConnection(fd)
        var stream: TLSStream?
        if let tls = settings.tls {
            guard let made = try? TLSStream(context: tls, fd: fd, role: .server) else { return closeDescriptor(fd) }
            stream = made
        }
        nextTag += 1
        let connection = Connection(fd: fd, tag: nextTag, loop: loop, maxLineLength: 1,
                                    sendQueueLimit: 64 * 1024, transport: stream, framed: false)
        connection.delegate = self
        guard (try? connection.start()) != nil else { return closeDescriptor(fd) }
        guard exchanges.count < settings.maxConnections else {
            connection.send(HTTPResponse(503, "too many connections; try later", headers: [("Retry-After", "1")]).bytes(close: true))
            return connection.close()
        }
        let exchange = Exchange(connection: connection, limits: settings.limits)
        exchanges[nextTag] = exchange
        armTimer(exchange)
    }

    /// The time the next request has to arrive whole, from now.
    private func armTimer(_ exchange: Exchange) {
        if let timer = exchange.timer { loop.cancel(timer) }
        let seconds = settings.requestTimeout.components.seconds
        exchange.timer = loop.schedule(after: settings.requestTimeout) { [weak self, weak exchange] in
            guard let self, let exchange, !exchange.busy else { return }
            exchange.timer = nil
            if exchange.parser.started {
                self.finish(exchange, HTTPResponse(408, "the request did not arrive whole within \(seconds) s"))
            } else {
                exchange.connection.close()  // an idle keep-alive connection
            }
        }
    }

    // MARK: Reading

    func connection(_ connection: Connection, receivedBytes bytes: ArraySlice<UInt8>) {
        guard let exchange = exchanges[connection.tag] else { return }
        handle(exchange.parser.feed(bytes), exchange)
    }

    private func handle(_ outcome: HTTPRequestParser.Outcome, _ exchange: Exchange) {
        switch outcome {
        case .incomplete:
            break
        case .failed(let response):
            finish(exchange, response)
        case .request(let request):
            exchange.busy = true
            exchange.keepAlive = request.keepAlive
            exchange.isHead = request.method == "HEAD"
            exchange.connection.pauseReading()
            if let timer = exchange.timer { loop.cancel(timer) }
            exchange.timer = nil
            nextRequest += 1
            requests[nextRequest] = exchange.connection.tag
            onRequest(nextRequest, request)
        }
    }

    /// The answer to the request in flight on `id` (a connection gone meanwhile is no matter).
    func respond(_ id: Int, _ response: HTTPResponse) {
        guard let tag = requests.removeValue(forKey: id), let exchange = exchanges[tag], exchange.busy else { return }
        guard exchange.keepAlive, !closed else { return finish(exchange, response) }
        exchange.connection.send(response.bytes(close: false, head: exchange.isHead))
        // The next request on the next turn: a pipelined batch answered at once
        // would otherwise recurse (respond → next request → respond ...).
        loop.schedule(after: .zero) { [weak self, weak exchange] in
            guard let self, let exchange, exchange.connection.state == .open else { return }
            exchange.busy = false
            let outcome = exchange.parser.next()
            if outcome == .incomplete {
                exchange.connection.resumeReading()
                self.armTimer(exchange)
            }
            self.handle(outcome, exchange)
        }
    }

    /// Answers and closes: the connection serves no more requests.
    private func finish(_ exchange: Exchange, _ response: HTTPResponse) {
        exchange.busy = false
        exchange.connection.send(response.bytes(close: true, head: exchange.isHead))
        exchange.isHead = false
        exchange.connection.close()
    }

    func connection(_ connection: Connection, received frame: LineFramer.Frame) {}

    func connectionClosed(_ connection: Connection, reason: String?) {
        guard let exchange = exchanges.removeValue(forKey: connection.tag) else { return }
        if let timer = exchange.timer { loop.cancel(timer) }
    }

    /// Whether `id` names one of this listener's requests (and not an announce socket writer).
    static func owns(_ id: Int) -> Bool { id >= firstID }

    /// Stops listening; a request in flight gets its answer if it comes before the loop ends.
    func close() {
        closed = true
        loop.unwatch(listener.fd)
        for exchange in exchanges.values where !exchange.busy { exchange.connection.close() }
    }
}
