import XCTest
@testable import RelayServer

final class RESPTests: XCTestCase {
    func testCommandsAreArraysOfBulkStrings() {
        XCTAssertEqual(String(decoding: RESP.command("SPUBLISH", "relay:room:#a", "hi there"), as: UTF8.self),
                       "*3\r\n$8\r\nSPUBLISH\r\n$13\r\nrelay:room:#a\r\n$8\r\nhi there\r\n")
        // Any byte goes in a bulk string, CR and LF too.
        XCTAssertEqual(RESP.command([13, 10]), Array("*1\r\n$2\r\n\r\n\r\n".utf8))
    }

    func testRepliesArriveWholeWhateverTheReadsCut() throws {
        let wire = Array("+OK\r\n-ERR no\r\n:42\r\n$5\r\na\r\nbc\r\n$-1\r\n*2\r\n$1\r\nx\r\n:1\r\n>3\r\n$8\r\nsmessage\r\n$2\r\nch\r\n$3\r\nhey\r\n_\r\n%1\r\n+k\r\n:2\r\n".utf8)
        let expected: [RESPValue] = [
            .simple("OK"), .error("ERR no"), .integer(42), .bulk(Array("a\r\nbc".utf8)), .bulk(nil),
            .array([.bulk([120]), .integer(1)]),
            .push([.bulk(Array("smessage".utf8)), .bulk(Array("ch".utf8)), .bulk(Array("hey".utf8))]),
            .null, .array([.simple("k"), .integer(2)]),
        ]
        for cut in [1, 2, 3, 7, wire.count] {
            var parser = RESPParser()
            var values: [RESPValue] = []
            var at = 0
            while at < wire.count {
                parser.feed(wire[at..<min(at + cut, wire.count)])
                at += cut
                while let value = try parser.next() { values.append(value) }
            }
            XCTAssertEqual(values, expected, "cut \(cut)")
            XCTAssertEqual(parser.pending, 0)
        }
    }

    func testRepliesPastTheLimitsAreErrorsNotAllocations() {
        func error(_ text: String, maxBulk: Int = 1024, maxElements: Int = 16) -> String? {
            var parser = RESPParser(maxBulk: maxBulk, maxElements: maxElements)
            parser.feed(Array(text.utf8))
            do { _ = try parser.next(); return nil } catch { return error.reason }
        }
        XCTAssertEqual(error("$999999999999\r\n"), "Redis reply over 1024 bytes")
        XCTAssertEqual(error("*1000000000\r\n"), "Redis reply with over 16 elements")
        XCTAssertEqual(error(String(repeating: "*1\r\n", count: 9) + ":1\r\n"), "Redis reply nested over 8 deep")
        XCTAssertEqual(error("?what\r\n"), "Redis sent an unknown reply type 63")
        XCTAssertEqual(error(":12x\r\n"), "Redis sent a bad number: 12x")
        XCTAssertEqual(error("$3\r\nabcd\r\n"), "Redis bulk string without its CRLF")
        XCTAssertEqual(error("+" + String(repeating: "a", count: 2000)), "Redis reply over 1024 bytes")
        XCTAssertNil(error("$3\r\nab"))  // not an error: the rest is on its way
    }
}

final class RedisURLTests: XCTestCase {
    func testURLs() throws {
        let plain = try RedisURL(parsing: "redis://127.0.0.1")
        XCTAssertEqual([plain.host, String(plain.port), String(plain.database), String(plain.tls)], ["127.0.0.1", "6379", "0", "false"])
        let full = try RedisURL(parsing: "rediss://relay:s3cret@redis.example:6380/2")
        XCTAssertEqual(full.username, "relay")
        XCTAssertEqual(full.password, "s3cret")
        XCTAssertEqual(full.description, "rediss://relay:***@redis.example:6380/2")
        let v6 = try RedisURL(parsing: "redis://:pw@[::1]:7000/")
        XCTAssertEqual([v6.host, String(v6.port)], ["::1", "7000"])
        XCTAssertNil(v6.username)
        XCTAssertEqual(v6.description, "redis://:***@[::1]:7000")
    }

    func testBadURLsSayWhatIsWrongWithoutThePassword() {
        func failure(_ text: String) -> String {
            do { _ = try RedisURL(parsing: text); return "parsed" } catch { return error.description }
        }
        XCTAssertEqual(failure("http://x"), "--cluster http://x: not a redis:// or rediss:// URL")
        XCTAssertEqual(failure("redis://u:hunter2@host:99999"), "--cluster redis://u:***@host:99999: the port is a number from 1 to 65535")
        XCTAssertEqual(failure("redis://host/16"), "--cluster redis://host/16: the database is a number from 0 to 15")
        XCTAssertEqual(failure("redis://"), "--cluster redis://: no host")
        XCTAssertEqual(failure("redis://[::1"), "--cluster redis://[::1: an IPv6 address ends with ]")
    }
}
