import RelayHTTP
import XCTest

final class HTTPRequestParserTests: XCTestCase {
    private func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> HTTPRequestParser.Outcome {
        HTTPRequestParser(limits: limits).feed(Array(text.utf8)[...])
    }

    func testAPostWithABody() {
        let outcome = parse("POST /send/%23ops?wait=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
        guard case .request(let request) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(request.method, "POST")
        XCTAssertEqual(request.pathParts, ["send", "#ops"])
        XCTAssertEqual(request.query, ["wait": "1"])
        XCTAssertEqual(request.header("content-length"), "5")
        XCTAssertEqual(request.header("HOST"), "x")
        XCTAssertEqual(String(decoding: request.body, as: UTF8.self), "hello")
        XCTAssertTrue(request.keepAlive)
    }

    func testByteByByteAndChunked() {
        let parser = HTTPRequestParser()
        let text = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
        var result: HTTPRequestParser.Outcome = .incomplete
        for byte in text.utf8 {
            XCTAssertEqual(result, .incomplete)
            result = parser.feed([byte][...])
        }
        guard case .request(let request) = result else { return XCTFail("\(result)") }
        XCTAssertEqual(request.body, Array("abcde".utf8))
    }

    func testPipelinedRequestsComeOneAtATime() {
        let parser = HTTPRequestParser()
        let two = "POST /a HTTP/1.1\r\nContent-Length: 1\r\n\r\nAPOST /b HTTP/1.1\r\nContent-Length: 1\r\nConnection: close\r\n\r\nB"
        guard case .request(let first) = parser.feed(Array(two.utf8)[...]) else { return XCTFail() }
        XCTAssertEqual(first.target, "/a")
        guard case .request(let second) = parser.next() else { return XCTFail() }
        XCTAssertEqual(second.target, "/b")
        XCTAssertFalse(second.keepAlive)
        XCTAssertEqual(parser.next(), .incomplete)
    }

    func testGarbageIsA400() {
        guard case .failed(let response) = parse("HELLO\r\n\r\n") else { return XCTFail() }
        XCTAssertEqual(response.status, 400)
    }

    func testEveryLimitHolds() {
        var limits = HTTPRequestParser.Limits()
        limits.bodyBytes = 10
        limits.headerCount = 3
        limits.headerBytes = 200
        limits.targetBytes = 50
        XCTAssertEqual(parse("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits: limits),
                       .failed(HTTPResponse(413, "the body is longer than 10 bytes")))
        let chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n"
        XCTAssertEqual(parse(chunked, limits: limits), .failed(HTTPResponse(413, "the body is longer than 10 bytes")))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\n\r\n", limits: limits),
                       .failed(HTTPResponse(431, "more than 3 headers")))
        XCTAssertEqual(parse("GET / HTTP/1.1\r\na: \(String(repeating: "x", count: 300))\r\n\r\n", limits: limits),
                       .failed(HTTPResponse(431, "the request's headers are longer than 200 bytes")))
        XCTAssertEqual(parse("GET /\(String(repeating: "x", count: 60)) HTTP/1.1\r\n\r\n", limits: limits),
                       .failed(HTTPResponse(414, "the request target is longer than 50 bytes")))
    }

    func testNULAndBadEncodingInThePathAreRefusedByTheDecoder() {
        XCTAssertNil(HTTPRequest(method: "POST", target: "/send/%00ops").pathParts)
        XCTAssertNil(HTTPRequest(method: "POST", target: "/send/%ff").pathParts)
        XCTAssertNil(HTTPRequest(method: "POST", target: "/send/%4").pathParts)
    }

    func testTheResponseOnTheWire() {
        XCTAssertEqual(String(decoding: HTTPResponse(202, "queued", headers: [("Retry-After", "5")]).bytes(close: true), as: UTF8.self),
                       "HTTP/1.1 202 Accepted\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 7\r\n"
                       + "Retry-After: 5\r\nConnection: close\r\n\r\nqueued\n")
    }
}
