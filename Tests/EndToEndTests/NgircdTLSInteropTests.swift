import Foundation
import Glibc
import XCTest

/// TLS against a server nobody here wrote: Debian's ngircd (GnuTLS) with an
/// `[SSL]` section serving the test certificate.
final class NgircdTLSInteropTests: XCTestCase {
    private var ngircd: Ngircd!
    private let z = "\u{200B}"

    override func setUpWithError() throws {
        ngircd = try Ngircd(tls: true)
    }

    override func tearDown() {
        ngircd = nil
    }

    private var trust: [String] { ["--ca-file", TestCertificates.path("ca.pem")] }

    func testSendOverTLSIsDeliveredAndConfirmed() throws {
        let room = try ngircd.watcher()
        let run = try RelayRun.run(["connect", "ircs://localhost:\(ngircd.tlsPort)/#interop", "--nick", "cron",
                                    "--send", "backup done over tls"] + trust)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stderr, "")
        XCTAssertNotNil(room.waitFor { $0.hasPrefix(":cron!") && $0.hasSuffix(" PRIVMSG #interop :backup done over tls") })

        let unverified = try RelayRun.run(["connect", "ircs://localhost:\(ngircd.tlsPort)/#interop", "--send", "x"])
        XCTAssertEqual(unverified.status, 1)
        XCTAssertEqual(unverified.stderr,
                       "relay: tls localhost:\(ngircd.tlsPort): certificate verify failed: unable to get local issuer certificate\n")
    }

    func testABridgeBetweenNgircdOverTLSAndAPlainRelayServe() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let irc = try ngircd.watcher("ana")
        let person = try TestClient(port: server.port)
        person.sendLine("/nick bob")
        person.sendLine("/join #dev")
        XCTAssertNotNil(person.waitFor { $0.hasPrefix("-!- You joined #dev") })
        let bridge = try RelayProcess(["bridge", "ircs://localhost:\(ngircd.tlsPort)/#interop", "irc://127.0.0.1:\(server.port)/#dev",
                                       "--nick", "bridge", "--rate", "0"] + trust)
        defer { bridge.stop() }
        XCTAssertNotNil(irc.waitFor(timeout: 10) { $0.hasPrefix(":bridge!") && $0.hasSuffix(" JOIN :#interop") })
        person.waitFor("-!- bridge joined #dev")
        irc.sendLine("PRIVMSG #interop :hello from ngircd over tls")
        person.waitFor("<bridge> \(z)<a\(z)na> hello from ngircd over tls")
        person.sendLine("hello back in the clear")
        XCTAssertNotNil(irc.waitFor { $0.hasPrefix(":bridge!") && $0.hasSuffix(" PRIVMSG #interop :\(z)<b\(z)ob> hello back in the clear") })
    }
}
