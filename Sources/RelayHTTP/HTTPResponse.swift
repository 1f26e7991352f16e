/// A response: a status and a short text body (one line saying what happened).
public struct HTTPResponse: Equatable, Sendable {
    public var status: Int
    public var body: String
    /// Extra headers (Retry-After, WWW-Authenticate, Allow).
    public var headers: [(name: String, value: String)]

    public init(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) {
        self.status = status
        self.body = body
        self.headers = headers
    }

    public static func == (a: HTTPResponse, b: HTTPResponse) -> Bool {
        a.status == b.status && a.body == b.body
            && a.headers.elementsEqual(b.headers) { $0.name == $1.name && $0.value == $1.value }
    }

    /// The bytes on the wire; `close` adds `Connection: close`; a HEAD request's
    /// answer has the headers of the body and not the body.
    public func bytes(close: Bool, head: Bool = false) -> [UInt8] {
        let text = body.hasSuffix("\n") || body.isEmpty ? body : body + "\n"
        let isHead = head
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        head += "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(text.utf8.count)\r\n"
        for header in headers { head += "\(header.name): \(header.value)\r\n" }
        if close { head += "Connection: close\r\n" }
        return Array((head + "\r\n" + (isHead ? "" : text)).utf8)
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Content"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        default: return "Status"
        }
    }
}
