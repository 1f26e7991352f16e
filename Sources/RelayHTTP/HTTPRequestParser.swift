import CHTTPParser

/// HTTP/1.1 requests out of a byte stream, by nodejs/http-parser (Debian's
/// libhttp-parser-dev): request line, headers, Content-Length and chunked
/// bodies, keep-alive and pipelining. This adds the limits a listener facing
/// strangers needs; every one of them ends the request with its status.
///
/// One request at a time: when one is complete the parser stops (paused), and
/// what follows it waits in `rest` until `next()` is asked for the next one,
/// after the answer. Memory is bounded by the limits plus one read.
public final class HTTPRequestParser {
    public struct Limits: Sendable {
        /// The request line and every header, together.
        public var headerBytes = 8 * 1024
        public var headerCount = 64
        public var targetBytes = 2 * 1024
        public var bodyBytes = 1024 * 1024

        public init() {}
    }

    public enum Outcome: Equatable, Sendable {
        /// More bytes are needed.
        case incomplete
        case request(HTTPRequest)
        /// The request is refused; the connection ends after the answer.
        case failed(HTTPResponse)
    }

    public let limits: Limits
    /// On the heap: the callbacks reach it while `http_parser_execute` runs.
    private let parser = UnsafeMutablePointer<http_parser>.allocate(capacity: 1)
    /// Bytes read and not parsed yet (what followed a complete request).
    private var rest: [UInt8] = []
    private var failure: HTTPResponse?
    private var complete = false
    /// The request being read.
    private var method = ""
    private var target: [UInt8] = []
    private var headers: [(name: String, value: String)] = []
    private var field: [UInt8] = []
    private var value: [UInt8] = []
    private var readingValue = false
    private var body: [UInt8] = []
    private var headerBytes = 0
    private var keepAlive = true
    /// Some byte of the current request has arrived (a timeout then answers 408).
    public private(set) var started = false

    public init(limits: Limits = Limits()) {
        self.limits = limits
        parser.initialize(to: http_parser())
        http_parser_init(parser, HTTP_REQUEST)
    }

    deinit { parser.deallocate() }

    /// Bytes buffered here, for a host's accounting.
    public var bufferedBytes: Int { rest.count + body.count + target.count + headerBytes }

    /// Feeds what was read; returns the first request it completes, if any.
    public func feed(_ bytes: ArraySlice<UInt8>) -> Outcome {
        if failure != nil || complete {
            rest.append(contentsOf: bytes)
            return complete ? .incomplete : .failed(failure!)
        }
        return run(bytes)
    }

    /// The next request from what already arrived, after the previous one was answered.
    public func next() -> Outcome {
        guard complete, failure == nil else { return failure.map(Outcome.failed) ?? .incomplete }
        complete = false
        http_parser_pause(parser, 0)
        let pending = rest
        rest = []
        return pending.isEmpty ? .incomplete : run(pending[...])
    }

    private func run(_ bytes: ArraySlice<UInt8>) -> Outcome {
        if !bytes.isEmpty { started = true }
        parser.pointee.data = Unmanaged.passUnretained(self).toOpaque()
        let parsed = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
                http_parser_execute(parser, Self.settings, chars, buffer.count)
            }
        }
        if let failure { return .failed(failure) }
        let errno = relay_http_errno(parser)
        if complete {
            rest = Array(bytes.dropFirst(parsed))
            let request = HTTPRequest(method: method, target: String(decoding: target, as: UTF8.self), headers: headers,
                                      body: body, keepAlive: keepAlive)
            reset()
            return .request(request)
        }
        if errno != Int32(HPE_OK.rawValue) {
            return fail(400, "malformed request: \(String(cString: http_errno_description(http_errno(UInt32(errno)))))")
        }
        if relay_http_upgrade(parser) != 0 { return fail(400, "upgrades are not served here") }
        return .incomplete
    }

    private func reset() {
        method = ""
        target = []
        headers = []
        field = []
        value = []
        readingValue = false
        body = []
        headerBytes = 0
        started = !rest.isEmpty
    }

    @discardableResult
    private func fail(_ status: Int, _ why: String) -> Outcome {
        if failure == nil { failure = HTTPResponse(status, why) }
        return .failed(failure!)
    }

    // MARK: Callbacks (0 goes on; non-zero stops the parser)

    private func addHeaderBytes(_ count: Int) -> Int32 {
        headerBytes += count
        guard headerBytes <= limits.headerBytes else {
            fail(431, "the request's headers are longer than \(limits.headerBytes) bytes")
            return 1
        }
        return 0
    }

    private func endHeader() -> Int32 {
        guard readingValue else { return 0 }
        readingValue = false
        guard headers.count < limits.headerCount else {
            fail(431, "more than \(limits.headerCount) headers")
            return 1
        }
        headers.append((String(decoding: field, as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
        field = []
        value = []
        return 0
    }

    private func onTarget(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        target.append(contentsOf: bytes)
        guard target.count <= limits.targetBytes else {
            fail(414, "the request target is longer than \(limits.targetBytes) bytes")
            return 1
        }
        return addHeaderBytes(bytes.count)
    }

    private func onField(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        if endHeader() != 0 { return 1 }
        field.append(contentsOf: bytes)
        return addHeaderBytes(bytes.count)
    }

    private func onValue(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        readingValue = true
        value.append(contentsOf: bytes)
        return addHeaderBytes(bytes.count)
    }

    private func onHeadersComplete() -> Int32 {
        if endHeader() != 0 { return 1 }
        method = String(cString: http_method_str(http_method(UInt32(relay_http_method(parser)))))
        keepAlive = http_should_keep_alive(parser) != 0
        let length = relay_http_content_length(parser)
        // Content-Length is known before the body: refuse at once, before reading it.
        if length != UInt64.max, length > UInt64(limits.bodyBytes) {
            fail(413, "the body is longer than \(limits.bodyBytes) bytes")
            return 1
        }
        return 0
    }

    private func onBody(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        guard body.count + bytes.count <= limits.bodyBytes else {
            fail(413, "the body is longer than \(limits.bodyBytes) bytes")
            return 1
        }
        body.append(contentsOf: bytes)
        return 0
    }

    private func onMessageComplete() -> Int32 {
        complete = true
        // Stop here: what follows is the next request, read after this one is answered.
        http_parser_pause(parser, 1)
        return 0
    }

    private static func owner(_ parser: UnsafeMutablePointer<http_parser>?) -> HTTPRequestParser {
        Unmanaged<HTTPRequestParser>.fromOpaque(parser!.pointee.data).takeUnretainedValue()
    }

    private static func bytes(_ at: UnsafePointer<CChar>?, _ length: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: at, count: at == nil ? 0 : length)
    }

    /// One settings table for every parser (C function pointers capture nothing).
    nonisolated(unsafe) private static let settings: UnsafeMutablePointer<http_parser_settings> = {
        let settings = UnsafeMutablePointer<http_parser_settings>.allocate(capacity: 1)
        settings.initialize(to: http_parser_settings())
        http_parser_settings_init(settings)
        settings.pointee.on_url = { owner($0).onTarget(bytes($1, $2)) }
        settings.pointee.on_header_field = { owner($0).onField(bytes($1, $2)) }
        settings.pointee.on_header_value = { owner($0).onValue(bytes($1, $2)) }
        settings.pointee.on_headers_complete = { owner($0).onHeadersComplete() }
        settings.pointee.on_body = { owner($0).onBody(bytes($1, $2)) }
        settings.pointee.on_message_complete = { owner($0).onMessageComplete() }
        return settings
    }()
}
