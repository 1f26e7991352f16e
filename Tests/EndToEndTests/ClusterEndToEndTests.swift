import Foundation
import Glibc
import XCTest

/// `relay serve --cluster`: three real nodes on loopback sharing rooms through
/// a real redis-server, with people on each.
final class ClusterEndToEndTests: XCTestCase {
    private var redis: RedisServer!
    private var nodes: [RelayProcess] = []

    override func setUpWithError() throws {
        redis = try RedisServer()
    }

    override func tearDown() {
        for node in nodes { node.stop() }
        redis = nil
    }

    /// A node named `name`, up once it has heard from `peers` other nodes.
    private func node(_ name: String, peers: Int, ttl: Int = 3) throws -> RelayProcess {
        let node = try RelayProcess.serve(["--name", name, "--cluster", redis.url, "--cluster-ttl", String(ttl)])
        nodes.append(node)
        return node
    }

    /// Waits until every node has heard from all the others.
    private func waitForMesh(file: StaticString = #filePath, line: UInt = #line) {
        for node in nodes {
            let seen = node.waitForStderr(timeout: 10) { $0.components(separatedBy: "cluster-node-joined").count - 1 >= nodes.count - 1 }
            XCTAssertGreaterThanOrEqual(seen.components(separatedBy: "cluster-node-joined").count - 1, nodes.count - 1,
                                        "mesh: \(seen)", file: file, line: line)
        }
    }

    /// alice (IRC) on a, bob (plain) on b, carol (IRC) on c, all in #ops.
    private func threeNodesInOneRoom() throws -> (a: RelayProcess, b: RelayProcess, c: RelayProcess,
                                                  alice: TestClient, bob: TestClient, carol: TestClient) {
        let a = try node("a.test", peers: 2), b = try node("b.test", peers: 2), c = try node("c.test", peers: 2)
        waitForMesh()
        let alice = try ircUser(port: a.port, nick: "alice", room: "#ops")
        let bob = try plainUser(b, nick: "bob")
        // Once b has heard that alice opened #ops, bob joins it (else both open it, and both are operators).
        var known = false
        for _ in 0..<50 where !known {
            bob.sendLine("/rooms")
            known = bob.drain(quiet: 0.1).contains("-!-   #ops (1 person)")
        }
        XCTAssertTrue(known, "b knows #ops")
        bob.sendLine("/join #ops")
        XCTAssertNotNil(bob.waitFor { $0.hasPrefix("-!- You joined #ops") })
        let carol = try ircUser(port: c.port, nick: "carol", room: "#ops")
        XCTAssertTrue(alice.waitFor(":carol!carol@127.0.0.1 JOIN #ops"))
        XCTAssertTrue(bob.waitFor("-!- carol joined #ops"))
        return (a, b, c, alice, bob, carol)
    }

    func testPeopleOnThreeNodesChatAsIfOnOneServer() throws {
        let (_, _, _, alice, bob, carol) = try threeNodesInOneRoom()
        alice.sendLine("PRIVMSG #ops :hello from a")
        XCTAssertTrue(bob.waitFor("<alice> hello from a"))
        XCTAssertTrue(carol.waitFor(":alice!alice@127.0.0.1 PRIVMSG #ops :hello from a"))
        bob.sendLine("hi from b")
        XCTAssertTrue(alice.waitFor(":bob!guest1@127.0.0.1 PRIVMSG #ops :hi from b"))
        XCTAssertTrue(carol.waitFor(":bob!guest1@127.0.0.1 PRIVMSG #ops :hi from b"))
        carol.sendLine("PRIVMSG bob :just you")
        XCTAssertTrue(bob.waitFor("*carol* just you"))
        // Redis 7: the room is a sharded channel, listened to by the three nodes with someone in it.
        let redisClient = try TestClient(port: redis.port)
        redisClient.send("PUBSUB SHARDNUMSUB relay:room:#ops\r\n")
        XCTAssertEqual((0..<4).map { _ in redisClient.readLine() }, ["*2", "$15", "relay:room:#ops", ":3"])

        carol.sendLine("NAMES #ops")
        let names = carol.waitFor { $0.hasPrefix(":c.test 353 carol = #ops :") }?.split(separator: ":").last
        XCTAssertEqual(names.map { Set($0.split(separator: " ")) }, ["@alice", "bob", "carol"])  // in the order each joined here
        carol.sendLine("WHOIS bob")
        XCTAssertTrue(carol.waitFor(":c.test 312 carol bob b.test :relay"))
        carol.sendLine("LUSERS")
        XCTAssertTrue(carol.waitFor(":c.test 251 carol :There are 3 users and 0 invisible on 3 servers"))
        carol.sendLine("WHO #ops")
        XCTAssertTrue(carol.waitFor(":c.test 352 carol #ops alice 127.0.0.1 a.test alice H@ :0 alice"))
        carol.sendLine("MONITOR + dave")
        XCTAssertTrue(carol.waitFor(":c.test 731 carol :dave"))
        let dave = try TestClient(port: nodes[0].port)
        dave.sendLine("NICK dave")
        dave.sendLine("USER dave 0 * :dave")
        XCTAssertTrue(carol.waitFor(":c.test 730 carol :dave!dave@127.0.0.1"))
        // Nobody else saw anything twice.
        XCTAssertEqual(alice.drain().filter { $0.contains("hello from a") }, [])
    }

    func testAKilledNodesUsersQuitEverywhereAndNothingElseIsLostOrDoubled() throws {
        let (a, _, _, alice, bob, carol) = try threeNodesInOneRoom()
        defer { withExtendedLifetime(alice) {} }  // her connection stays open: she goes with her node
        _ = carol.drain()
        // bob talks while node a dies beside him (SIGKILL: no goodbye).
        for number in 1...10 {
            bob.sendLine("line \(number)")
            if number == 5 { kill(a.pid, SIGKILL) }
            usleep(30_000)
        }
        let started = Date()
        var heard: [String] = []
        /// carol's lines until `last`, keeping what bob said.
        func collect(until last: String) -> Bool {
            while let line = carol.readLine(timeout: 6) {
                if line.hasPrefix(":bob!") { heard.append(String(line.split(separator: ":").last!)) }
                if line == last || line.hasSuffix(":" + last) { return true }
            }
            return false
        }
        XCTAssertTrue(collect(until: ":alice!alice@127.0.0.1 QUIT :a.test stopped answering"), "alice quits on c")
        XCTAssertLessThan(Date().timeIntervalSince(started), 4, "within the TTL (3 s) of her node's last beat")
        XCTAssertTrue(bob.waitFor("-!- alice quit (a.test stopped answering)"))
        bob.sendLine("line 11")
        XCTAssertTrue(collect(until: "line 11"))
        XCTAssertEqual(heard, (1...11).map { "line \($0)" }, "each of bob's lines once, in order")
    }

    func testANodeStoppedBySIGTERMHasItsUsersQuitAtOnce() throws {
        let a = try node("a.test", peers: 1, ttl: 60), b = try node("b.test", peers: 1, ttl: 60)
        waitForMesh()
        let alice = try ircUser(port: a.port, nick: "alice", room: "#ops")
        let bob = try ircUser(port: b.port, nick: "bob", room: "#ops")
        XCTAssertTrue(alice.waitFor(":bob!bob@127.0.0.1 JOIN #ops"))
        a.signal(SIGTERM)
        XCTAssertTrue(alice.waitFor("ERROR :Closing Link: 127.0.0.1 (Server shutting down)"))
        // Long before the 60 s TTL: the node said goodbye.
        XCTAssertTrue(bob.waitFor(":alice!alice@127.0.0.1 QUIT :Server shutting down", timeout: 3))
        XCTAssertEqual(a.waitForExit(), 0)
    }

    func testRedisRestartIsToldToUsersAndTheNodesFindEachOtherAgain() throws {
        let (_, _, _, alice, bob, carol) = try threeNodesInOneRoom()
        redis.stop()
        XCTAssertNotNil(bob.waitFor { $0.hasPrefix("-!- Lost the link to the rest of the network (Redis: ") })
        XCTAssertNotNil(alice.waitFor { $0.hasPrefix(":a.test NOTICE alice :Lost the link to the rest of the network") })
        XCTAssertTrue(alice.waitFor(":bob!guest1@127.0.0.1 QUIT :a.test lost the network"))
        // Each node goes on serving its own.
        alice.sendLine("NAMES #ops")
        XCTAssertTrue(alice.waitFor(":a.test 353 alice = #ops :@alice"))

        try redis.start()
        XCTAssertTrue(bob.waitFor("-!- The link to the rest of the network is back.", timeout: 15))
        XCTAssertTrue(carol.waitFor(":c.test NOTICE carol :The link to the rest of the network is back.", timeout: 15))
        // The others come back (in whatever order their nodes answer).
        var back: Set<String> = []
        while back.count < 2, let line = carol.readLine(timeout: 10) {
            if line.hasSuffix(" JOIN #ops") { back.insert(line) }
        }
        XCTAssertEqual(back, [":alice!alice@127.0.0.1 JOIN #ops", ":bob!guest1@127.0.0.1 JOIN #ops"])
        // alice's node too (each node comes back on its own backoff): only then is it one room again.
        XCTAssertTrue(alice.waitFor(":bob!guest1@127.0.0.1 JOIN #ops", timeout: 15))
        bob.sendLine("after the restart")
        XCTAssertTrue(carol.waitFor(":bob!guest1@127.0.0.1 PRIVMSG #ops :after the restart"))
        XCTAssertTrue(alice.waitFor(":bob!guest1@127.0.0.1 PRIVMSG #ops :after the restart"))
    }

    func testWhatWasSaidInARoomIsReadBackOnANodeThatWasNotThere() throws {
        let a = try node("a.test", peers: 1), c = try node("c.test", peers: 1)
        waitForMesh()
        let alice = try ircUser(port: a.port, nick: "alice", room: "#news")
        alice.sendLine("PRIVMSG #news :release 2.0 is out")
        alice.sendLine("PRIVMSG #news :\u{1}ACTION celebrates\u{1}")
        let carol = try plainUser(c, nick: "carol")
        usleep(200_000)
        carol.sendLine("/join #news")
        XCTAssertTrue(carol.waitFor("-!- Recent messages in #news:"))
        XCTAssertEqual(carol.readLine(), "<alice> release 2.0 is out")
        XCTAssertEqual(carol.readLine(), "* alice celebrates")
        // In Redis, as a list the size of --history.
        let redisClient = try TestClient(port: redis.port)
        redisClient.send("LLEN relay:history:#news\r\n")
        XCTAssertEqual(redisClient.readLine(), ":2")
    }

    func testRedisOverTLSWithAPasswordFromAFile() throws {
        let secure = try RedisServer(tls: true, password: "s3cret")
        let directory = NSTemporaryDirectory() + "relay-cluster-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let passwordFile = directory + "/redis-password"
        FileManager.default.createFile(atPath: passwordFile, contents: Data("s3cret\n".utf8), attributes: [.posixPermissions: 0o600])
        let options = ["--cluster", secure.url, "--cluster-tls-ca", TestCertificates.path("ca.pem"), "--cluster-ttl", "3"]
        let a = try RelayProcess.serve(["--name", "a.test", "--cluster-password-file", passwordFile] + options)
        let b = try RelayProcess.serve(["--name", "b.test", "--cluster-password-file", passwordFile] + options)
        nodes += [a, b]
        XCTAssertTrue(b.waitForStderr("cluster-node-joined", timeout: 10), b.stderr)
        let alice = try ircUser(port: a.port, nick: "alice", room: "#sec")
        let bob = try ircUser(port: b.port, nick: "bob", room: "#sec")
        XCTAssertTrue(alice.waitFor(":bob!bob@127.0.0.1 JOIN #sec"))
        alice.sendLine("PRIVMSG #sec :over TLS")
        XCTAssertTrue(bob.waitFor(":alice!alice@127.0.0.1 PRIVMSG #sec :over TLS"))

        // Without the password: said once (not once per retry), and the node serves its own.
        let lonely = try RelayProcess.serve(["--name", "c.test"] + options)
        nodes.append(lonely)
        XCTAssertTrue(lonely.waitForStderr("relay: error cluster-refused redis=\(secure.url) reason=\"Redis wants a password (--cluster-password-file): NOAUTH", timeout: 10), lonely.stderr)
        sleep(2)
        XCTAssertEqual(lonely.stderr.components(separatedBy: "cluster-refused").count, 2, lonely.stderr)
        XCTAssertFalse(lonely.stderr.contains("s3cret"))

        // TLS on one side only: said, with what to change.
        let plainSpeaker = try RelayProcess.serve(["--cluster", "redis://127.0.0.1:\(secure.port)"])
        nodes.append(plainSpeaker)
        XCTAssertTrue(plainSpeaker.waitForStderr("before answering HELLO (a TLS port? then rediss://)", timeout: 10), plainSpeaker.stderr)
    }

    func testANodeWithoutRedisServesItsOwnAndSaysWhyOnce() throws {
        let closed = freePort()
        let lonely = try RelayProcess.serve(["--name", "lonely.test", "--cluster", "redis://127.0.0.1:\(closed)"])
        nodes.append(lonely)
        XCTAssertTrue(lonely.waitForStderr("relay: warn cluster-link-failed redis=redis://127.0.0.1:\(closed) reason=\"connect 127.0.0.1:\(closed): Connection refused\""))
        let ana = try plainUser(lonely, nick: "ana")
        ana.sendLine("/join #here")
        XCTAssertNotNil(ana.waitFor { $0.hasPrefix("-!- You joined #here") })
        sleep(2)  // retries go on, quietly
        XCTAssertEqual(lonely.stderr.components(separatedBy: "cluster-link-failed").count, 2)
        // Stopping does not wait for Redis.
        let asked = Date()
        lonely.signal(SIGTERM)
        XCTAssertEqual(lonely.waitForExit(timeout: 5), 0)
        XCTAssertLessThan(Date().timeIntervalSince(asked), 3)
    }

    func testARedisThatStopsAnsweringIsGivenUpAndFoundAgain() throws {
        let a = try node("a.test", peers: 0)
        XCTAssertTrue(a.waitForStderr("cluster-node", timeout: 5))
        let ana = try plainUser(a, nick: "ana")
        usleep(300_000)
        // Frozen, not closed: no RST, no EOF; only silence.
        kill(redis.process!.processIdentifier, SIGSTOP)
        XCTAssertNotNil(ana.waitFor(timeout: 8) { $0.hasPrefix("-!- Lost the link to the rest of the network (Redis: no answer for ") })
        kill(redis.process!.processIdentifier, SIGCONT)
        XCTAssertTrue(ana.waitFor("-!- The link to the rest of the network is back.", timeout: 15))
    }

    func testABadClusterURLIsOneLineAndExit2() throws {
        let run = try RelayRun.run(["serve", "--port", "0", "--cluster", "redis://u:hunter2@host:99999"])
        XCTAssertEqual(run.status, 2)
        XCTAssertTrue(run.stderr.contains("--cluster redis://u:***@host:99999: the port is a number from 1 to 65535"), run.stderr)
        XCTAssertFalse(run.stderr.contains("hunter2"))
    }
}
