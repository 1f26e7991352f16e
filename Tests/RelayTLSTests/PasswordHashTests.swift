import RelayTLS
import XCTest

final class PasswordHashTests: XCTestCase {
    func testAHashVerifiesItsPasswordOnly() {
        let encoded = PasswordHash.make("correct horse", iterations: 1_000)
        XCTAssertTrue(encoded.hasPrefix("pbkdf2-sha256$1000$"))
        XCTAssertFalse(encoded.contains("correct"))
        XCTAssertTrue(PasswordHash.verify("correct horse", against: encoded))
        XCTAssertFalse(PasswordHash.verify("correct horse ", against: encoded))
        XCTAssertFalse(PasswordHash.verify("", against: encoded))
        XCTAssertNotEqual(PasswordHash.make("correct horse", iterations: 1_000), encoded, "a fresh salt each time")
    }

    /// RFC 7914's PBKDF2-HMAC-SHA256 vector (P="passwd", S="salt", c=1).
    func testTheKnownVector() {
        let encoded = "pbkdf2-sha256$1$73616c74$55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        XCTAssertTrue(PasswordHash.verify("passwd", against: encoded))
    }

    func testJunkNeverVerifies() {
        for junk in ["", "pbkdf2-sha256", "md5$1$00$00", "pbkdf2-sha256$0$00$" + String(repeating: "0", count: 64),
                     "pbkdf2-sha256$1$zz$" + String(repeating: "0", count: 64), "pbkdf2-sha256$1$00$00"] {
            XCTAssertFalse(PasswordHash.verify("x", against: junk), junk)
        }
    }
}
