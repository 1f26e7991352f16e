import Foundation
import Glibc
import RelayTLS
import XCTest

/// Debian's InspIRCd 3 with m_sasl, linked to Debian's Atheme services, on free
/// loopback ports: SASL (PLAIN and EXTERNAL) and NickServ as real networks run
/// them, and its IRCv3 modules (server-time, echo-message, msgid, account-tag,
/// batch, labeled-response, bot mode, MONITOR). A plain client port, a TLS port that asks for client certificates, and
/// the link between the two daemons. Skips the test where they are not installed.
final class InspircdAtheme {
    let directory: String
    let port: Int
    let tlsPort: Int
    private let linkPort: Int
    private var inspircd: Process?
    private var atheme: Process?

    init() throws {
        for binary in ["/usr/sbin/inspircd", "/usr/bin/atheme-services"] where !FileManager.default.isExecutableFile(atPath: binary) {
            throw XCTSkip("needs inspircd and atheme-services (.ci/run installs them)")
        }
        directory = NSTemporaryDirectory() + "relay-insp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        port = freePort()
        tlsPort = freePort()
        linkPort = freePort()
        let certificate = TestCertificates.path("server.pem"), key = TestCertificates.path("server.key")
        try """
            <config format="xml">
            <server name="irc.insp.test" description="relay interop" network="InspTest" id="1RL">
            <admin name="relay" nick="relay" email="relay@localhost">
            <bind address="127.0.0.1" port="\(port)" type="clients">
            <bind address="127.0.0.1" port="\(tlsPort)" type="clients" ssl="tls">
            <bind address="127.0.0.1" port="\(linkPort)" type="servers">
            <sslprofile name="tls" provider="gnutls" certfile="\(certificate)" keyfile="\(key)" requestclientcert="yes" hash="sha256">
            <connect allow="*" timeout="60" pingfreq="120" hardsendq="1M" softsendq="8192" recvq="8192" localmax="100" globalmax="100" useident="no" resolvehostnames="no">
            <class name="Kill" commands="KILL">
            <type name="Admin" classes="Kill">
            <oper name="admin" password="operpw" host="*@127.0.0.1" type="Admin">
            <module name="spanningtree">
            <module name="services_account">
            <module name="cap">
            <module name="sasl">
            <module name="ssl_gnutls">
            <module name="sslinfo">
            <module name="ircv3">
            <module name="ircv3_accounttag">
            <module name="ircv3_batch">
            <module name="ircv3_capnotify">
            <module name="ircv3_ctctags">
            <module name="ircv3_echomessage">
            <module name="ircv3_labeledresponse">
            <module name="ircv3_msgid">
            <module name="ircv3_servertime">
            <module name="botmode">
            <module name="monitor">
            <link name="services.insp.test" ipaddr="127.0.0.1" port="\(linkPort)" allowmask="127.0.0.0/8" sendpass="linkpw" recvpass="linkpw">
            <uline server="services.insp.test" silent="yes">
            <sasl target="services.insp.test">
            <pid file="\(directory)/inspircd.pid">
            <log method="file" type="* -USERINPUT -USEROUTPUT" level="default" target="\(directory)/inspircd.log">
            """.write(toFile: directory + "/inspircd.conf", atomically: true, encoding: .utf8)
        try """
            loadmodule "modules/protocol/inspircd";
            loadmodule "modules/backend/opensex";
            loadmodule "modules/crypto/pbkdf2v2";
            loadmodule "modules/nickserv/main";
            loadmodule "modules/nickserv/identify";
            loadmodule "modules/nickserv/register";
            loadmodule "modules/nickserv/cert";
            loadmodule "modules/saslserv/main";
            loadmodule "modules/saslserv/plain";
            loadmodule "modules/saslserv/external";
            serverinfo {
                name = "services.insp.test"; desc = "relay interop services"; numeric = "0RS"; recontime = 1;
                netname = "InspTest"; hidehostsuffix = "users"; adminname = "relay"; adminemail = "relay@localhost";
                registeremail = "noreply@localhost"; mta = "/bin/true"; loglevel = { error; info; network; };
                maxlogins = 5; maxusers = 5; mdlimit = 30; emaillimit = 10; emailtime = 300; auth = none; casemapping = rfc1459;
            };
            uplink "irc.insp.test" { host = "127.0.0.1"; port = \(linkPort); send_password = "linkpw"; receive_password = "linkpw"; };
            nickserv { nick = "NickServ"; user = "NickServ"; host = "services.insp.test"; real = "Nickname Services"; };
            saslserv { nick = "SaslServ"; user = "SaslServ"; host = "services.insp.test"; real = "SASL Authentication Agent"; };
            general { commit_interval = 5; expire = 30; flood_msgs = 0; flood_time = 10; kline_time = 7; };
            database { };
            logfile "\(directory)/atheme.log" { error; info; network; };
            """.write(toFile: directory + "/atheme.conf", atomically: true, encoding: .utf8)
        try start()
    }

    private func start() throws {
        let inspircd = Process()
        inspircd.executableURL = URL(fileURLWithPath: "/usr/sbin/inspircd")
        inspircd.arguments = ["--config", directory + "/inspircd.conf", "--nofork"] + (geteuid() == 0 ? ["--runasroot"] : [])
        inspircd.standardOutput = FileHandle.nullDevice
        inspircd.standardError = FileHandle.nullDevice
        try inspircd.run()
        self.inspircd = inspircd
        var deadline = Date().addingTimeInterval(10)
        while Date() < deadline && (try? TestClient(port: port)) == nil { usleep(50_000) }

        let atheme = Process()
        atheme.executableURL = URL(fileURLWithPath: "/usr/bin/atheme-services")
        atheme.arguments = ["-n", "-c", directory + "/atheme.conf", "-D", directory, "-l", directory + "/atheme.log",
                            "-p", directory + "/atheme.pid"]
        atheme.standardOutput = FileHandle.nullDevice
        atheme.standardError = FileHandle.nullDevice
        try atheme.run()
        self.atheme = atheme
        // Services are usable once they have synched with their uplink.
        deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let log = try? String(contentsOfFile: directory + "/atheme.log", encoding: .utf8),
               log.contains("finished synching with uplink") { return }
            guard atheme.isRunning else { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: directory + "/atheme.log", encoding: .utf8)) ?? ""
        XCTFail("atheme did not link to inspircd: \(log.suffix(600))")
    }

    /// A registered client (plain port, or TLS with `tls`), past the MOTD.
    func client(_ nick: String, tls: TLSContext? = nil) throws -> TestClient {
        let client = try tls.map { try TestClient(port: tlsPort, tls: $0) } ?? TestClient(port: port)
        client.sendLine("NICK \(nick)")
        client.sendLine("USER \(nick) 0 * :\(nick)")
        XCTAssertNotNil(client.waitFor(timeout: 10) { $0.contains(" 376 ") || $0.contains(" 422 ") }, "\(nick) registered")
        return client
    }

    /// Registers the account `name` with NickServ; with `certificate`, over TLS
    /// with that client certificate, adding its fingerprint for SASL EXTERNAL.
    func register(account name: String, password: String, certificate: String? = nil) throws {
        let tls = try certificate.map {
            try TLSContext.client(caFile: TestCertificates.path("ca.pem"), certificate: TestCertificates.path("\($0).pem"),
                                  key: TestCertificates.path("\($0).key"))
        }
        let client = try self.client(name, tls: tls)
        client.sendLine("PRIVMSG NickServ :REGISTER \(password) \(name)@example.org")
        var seen: [String] = []
        XCTAssertNotNil(client.waitFor(timeout: 10) { seen.append($0); return $0.contains("NOTICE \(name) :") && $0.contains("is now registered to") },
                        "registered \(name): \(seen.suffix(5))")
        if certificate != nil {
            client.sendLine("PRIVMSG NickServ :CERT ADD")
            XCTAssertNotNil(client.waitFor(timeout: 10) { $0.contains("Added fingerprint") }, "certificate added")
        }
        client.sendLine("QUIT")
        _ = client.waitForClose()
    }

    /// A client in `room` that watches what is said there.
    func watcher(_ nick: String = "watcher", room: String = "#interop") throws -> TestClient {
        let client = try self.client(nick)
        client.sendLine("JOIN \(room)")
        client.waitFor { $0.contains(" 366 ") }
        return client
    }

    func stop() {
        for process in [atheme, inspircd].compactMap({ $0 }) where process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
