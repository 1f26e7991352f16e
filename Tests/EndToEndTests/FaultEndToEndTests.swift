import Foundation
import Glibc
import XCTest

/// Servers that misbehave: `relay connect --send` ends within its timeout with a
/// reason every time, and a bridge goes on relaying between the healthy networks.
final class FaultEndToEndTests: XCTestCase {
    private func assertFailsPromptly(_ server: FakeServer, _ expected: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try RelayRun.run(["connect", "irc://127.0.0.1:\(server.port)/#ops", "--nick", "cron", "--send", "x", "--timeout", "3"],
                                   timeout: 15)
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertLessThan(run.seconds, 5, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains(expected), run.stderr, file: file, line: line)
    }

    func testAServerThatRegistersThenClosesIsAFailureWithAReason() throws {
        let server = try FakeServer { fd in
            FakeServer.send(fd, ":srv 001 cron :Welcome\r\n")
            usleep(100_000)
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port): ")
    }

    func testAServerThatSendsGarbageIsAFailureWithinTheTimeout() throws {
        let server = try FakeServer { fd in
            var junk = [UInt8](repeating: 0, count: 4096)
            for round in 0..<30 {
                for index in junk.indices { junk[index] = UInt8.random(in: 0...255) }
                if round % 3 == 0 { junk[100] = 10 }  // now and then a line end
                if junk.withUnsafeBytes({ Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) < 0 { break }
                usleep(100_000)
            }
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port)")
    }

    func testAServerThatAcceptsAndNeverAnswersIsNoAnswerWithinTheTimeout() throws {
        let server = try FakeServer { fd in
            sleep(10)
            close(fd)
        }
        defer { server.stop() }
        try assertFailsPromptly(server, "127.0.0.1:\(server.port): no answer within 3 s")
    }

    func testANameThatNeverResolvesIsNoAnswerWithinTheTimeout() throws {
        let dns = try SilentNameServer()
        let run = try RelayRun.run(["connect", "irc://irc.slow.test/#ops", "--nick", "cron", "--send", "x", "--timeout", "3"],
                                   timeout: 15, wrapper: dns.wrapper)
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertLessThan(run.seconds, 5, "the lookup hangs for 20 s; relay must not wait for it")
        XCTAssertEqual(run.stderr, "relay: resolve irc.slow.test: no answer within 3 s\n")
    }

    /// A server that welcomes "lurker", confirms its JOIN, sends `lines` messages
    /// to #a as fast as the socket takes them, then answers PINGs until QUIT.
    private func floodingServer(lines: Int) throws -> FakeServer {
        try FakeServer { fd in
            var received = ""
            var buffer = [UInt8](repeating: 0, count: 4096)
            func readMore() -> Bool {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 { received += String(decoding: buffer[0..<count], as: UTF8.self) }
                return count > 0
            }
            func readUntil(_ text: String) -> Bool {
                while !received.contains(text) { guard readMore() else { return false } }
                return true
            }
            defer { close(fd) }
            guard readUntil("USER ") else { return }
            FakeServer.send(fd, ":srv 001 lurker :Welcome\r\n")
            guard readUntil("JOIN #a") else { return }
            FakeServer.send(fd, ":lurker!u@h JOIN #a\r\n")
            let padding = String(repeating: "x", count: 200)
            for number in 0..<lines { FakeServer.send(fd, ":ana!u@h PRIVMSG #a :\(padding) \(number)\r\n") }
            var answered = 0
            repeat {
                let pings = received.components(separatedBy: "\r\n").filter { $0.hasPrefix("PING ") }
                for ping in pings.dropFirst(answered) { FakeServer.send(fd, ":srv PONG srv \(ping.dropFirst(5))\r\n") }
                answered = pings.count
            } while !received.contains("QUIT") && readMore()
        }
    }

    /// Waits until relay's stdout pipe holds `bytes` unread: relay is behind.
    private func waitUntilUnread(_ relay: RelayProcess, atLeast bytes: Int32, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        var unread: Int32 = 0
        while Date() < deadline {
            _ = ioctl(relay.stdout.fileDescriptor, UInt(FIONREAD), &unread)
            if unread >= bytes { return true }
            usleep(20_000)
        }
        return false
    }

    func testASignalEndsARunWhoseStdoutNobodyReads() throws {
        // relay used to block in write(2) once the pipe was full, where no signal
        // reached it (signals come through the loop): SIGTERM did nothing.
        try assertASignalEndsTheRunWithStdoutStalled(["--json", "--stay"])
    }

    func testASignalEndsABotWhoseStdoutNobodyReads() throws {
        try assertASignalEndsTheRunWithStdoutStalled(["--on", "!x=echo x", "--verbose", "--log-level", "warn"])
    }

    private func assertASignalEndsTheRunWithStdoutStalled(_ options: [String]) throws {
        let server = try floodingServer(lines: 5000)
        defer { server.stop() }
        let lurker = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#a", "--nick", "lurker"] + options)
        defer { lurker.stop() }
        XCTAssertTrue(waitUntilUnread(lurker, atLeast: 60_000), "the pipe fills")
        usleep(300_000)
        lurker.signal(SIGTERM)
        XCTAssertEqual(lurker.waitForExit(timeout: 3), 1, "SIGTERM ends the run at once")
        let lines = lurker.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, lurker.stderr)
        XCTAssertTrue(lurker.stderr.hasPrefix("relay: stdout: "), lurker.stderr)
        XCTAssertTrue(lurker.stderr.hasSuffix(" bytes of output not written (the reader stopped reading)\n"), lurker.stderr)
    }

    func testAReaderThatFallsBehindStillGetsEveryLineInOrder() throws {
        // Behind, relay stops reading the server instead of dropping lines, and
        // reads again once the reader catches up; --send still ends with 0.
        let server = try floodingServer(lines: 5000)
        defer { server.stop() }
        let lurker = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#a", "--nick", "lurker", "--json",
                                       "--send", "done", "--timeout", "20"])
        defer { lurker.stop() }
        XCTAssertTrue(waitUntilUnread(lurker, atLeast: 60_000), "the pipe fills")
        sleep(1)
        XCTAssertNil(lurker.waitForExit(timeout: 0.1), "waiting for the reader, not gone")
        let output = String(decoding: lurker.stdout.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(lurker.waitForExit(timeout: 10), 0, lurker.stderr)
        let lines = output.split(separator: "\n")
        XCTAssertEqual(lines.count, 5000)
        for (number, line) in lines.enumerated() where !line.contains(" \(number)\"") {
            return XCTFail("line \(number) is \(line)")
        }
    }

    func testAFullDiskOnStdoutEndsTheRunWithOneLine() throws {
        // Lines that cannot be written are not lost without a word: the run ends.
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try ircUser(port: server.port, nick: "ana", room: "#dev")
        let watcher = try RelayProcess(["connect", "irc://127.0.0.1:\(server.port)/#dev", "--nick", "watch", "--stay"],
                                       wrapper: ["/bin/sh", "-c", "exec \"$0\" \"$@\" > /dev/full"])
        defer { watcher.stop() }
        XCTAssertNotNil(ana.waitFor { $0.hasPrefix(":watch!") && $0.contains(" JOIN ") })
        ana.sendLine("PRIVMSG #dev :anyone there?")
        XCTAssertEqual(watcher.waitForExit(timeout: 5), 1, watcher.stderr)
        XCTAssertEqual(watcher.stderr, "relay: stdout: No space left on device\n")
    }

    func testABridgeKeepsRelayingWhileOneNetworksNameNeverResolves() throws {
        let dns = try SilentNameServer()
        let rooms = try TwoRooms()
        defer { rooms.stop() }
        let (ana, bob) = (rooms.ana, rooms.bob)
        let bridge = try RelayProcess(["bridge"] + rooms.urls + ["irc://irc.slow.test/#dev", "--nick", "bridge", "--rate", "0", "--timeout", "2"],
                                      wrapper: dns.wrapper)
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("still bridged")
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix("na> still bridged") })
        let said = bridge.waitForStderr(timeout: 5) { $0.contains("resolve irc.slow.test: no answer within 2 s") }
        XCTAssertTrue(said.contains("resolve irc.slow.test: no answer within 2 s"), said)
        bob.sendLine("and back")
        XCTAssertNotNil(ana.waitFor { $0.hasSuffix("ob> and back") })
        XCTAssertNil(bridge.waitForExit(timeout: 0.1), bridge.stderr)
    }

    func testABridgeKeepsRelayingBetweenHealthyNetworksWhileOneSpeaksGarbage() throws {
        let garbage = try FakeServer { fd in
            for _ in 0..<100 {
                if Glibc.send(fd, "\u{1}\u{0}\u{FF}:::\r\n garbage \r\r\n", 18, Int32(MSG_NOSIGNAL)) < 0 { break }
                usleep(50_000)
            }
            close(fd)
        }
        defer { garbage.stop() }
        let rooms = try TwoRooms()
        defer { rooms.stop() }
        let (ana, bob) = (rooms.ana, rooms.bob)
        let bridge = try RelayProcess(["bridge"] + rooms.urls + ["irc://127.0.0.1:\(garbage.port)/#dev", "--nick", "bridge", "--rate", "0"])
        defer { bridge.stop() }
        ana.waitFor("-!- bridge joined #dev")
        bob.waitFor("-!- bridge joined #dev")
        ana.sendLine("still bridged")
        XCTAssertNotNil(bob.waitFor { $0.hasSuffix("na> still bridged") })
        XCTAssertNil(bridge.waitForExit(timeout: 0.1), bridge.stderr)
    }
}

/// Slow and endless lines against `relay serve`: the limits handle them and
/// everyone else is unaffected.
final class SlowAndEndlessLinesTests: XCTestCase {
    func testALineSentOneByteAt50msAndAMegabyteWithoutANewline() throws {
        let server = try RelayProcess.serve()
        defer { server.stop() }
        let ana = try plainUser(server, nick: "ana")
        let bob = try plainUser(server, nick: "bob")
        let slow = try plainUser(server, nick: "slow")
        // One byte every 50 ms: framed like any other line, nobody waits for it.
        let writer = Thread {
            for byte in Array("drip drip\n".utf8) {
                slow.sendBytes([byte])
                usleep(50_000)
            }
        }
        writer.start()
        ana.sendLine("meanwhile")
        bob.waitFor("<ana> meanwhile", timeout: 1)
        bob.waitFor("<slow> drip drip", timeout: 5)
        // A megabyte without a newline: discarded as it arrives, reported when it ends.
        let flood = try plainUser(server, nick: "flood")
        let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 64 * 1024)
        for _ in 0..<16 { flood.sendBytes(chunk) }
        ana.sendLine("still fine")
        bob.waitFor("<ana> still fine")
        flood.sendBytes([10])
        XCTAssertNotNil(flood.waitFor { $0.hasPrefix("-!- Line too long (1048576 bytes") })
        let rss = server.residentKilobytes()
        XCTAssertLessThan(rss, 64 * 1024, "the megabyte was never held: \(rss) KiB")
    }
}

/// Ten thousand connections, registered, then torn down abruptly in random
/// order: the server's descriptors come back to what they were, and its memory
/// to near it.
final class ManyConnectionsTests: XCTestCase {
    private func descriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    func testTenThousandConnectionsClosedAbruptlyLeaveNothingBehind() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        guard limit.rlim_max >= 12_000 else { throw XCTSkip("needs 12000 descriptors (hard limit \(limit.rlim_max))") }
        let saved = limit
        limit.rlim_cur = limit.rlim_max
        setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        defer { var restore = saved; setrlimit(Int32(RLIMIT_NOFILE.rawValue), &restore) }

        // Plain users outside any room: registering 10,000 of them costs no broadcasts.
        let server = try RelayProcess.serve(["--max-clients", "20000", "--flood-rate", "0", "--log-level", "warn", "--lobby", ""])
        defer { server.stop() }
        let probe = try plainUser(server, nick: "probe")
        let baseFDs = descriptors(server.pid), baseRSS = server.residentKilobytes()

        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(server.port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var rounds: [(peak: Int, after: Int)] = []
        for _ in 0..<2 {
            var sockets: [Int32] = []
            for index in 0..<10_000 {
                let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
                let connected = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
                }
                guard connected == 0 else { close(fd); XCTFail("connect \(index): \(errno)"); break }
                let hello = "/nick u\(index)\n"
                _ = hello.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                sockets.append(fd)
            }
            // Every one registered: the server holds them all, and the probe is still served.
            let deadline = Date().addingTimeInterval(60)
            while descriptors(server.pid) < baseFDs + sockets.count && Date() < deadline { usleep(50_000) }
            XCTAssertGreaterThanOrEqual(descriptors(server.pid), baseFDs + sockets.count)
            probe.sendLine("/rooms")
            XCTAssertNotNil(probe.waitFor(timeout: 20) { $0.hasPrefix("-!- Rooms (0)") }, "still served")
            let peak = server.residentKilobytes()
            for fd in sockets.shuffled() {
                var linger = Glibc.linger(l_onoff: 1, l_linger: 0)  // RST: a client that vanished
                setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
                close(fd)
            }
            let drained = Date().addingTimeInterval(60)
            while descriptors(server.pid) > baseFDs && Date() < drained { usleep(50_000) }
            XCTAssertEqual(descriptors(server.pid), baseFDs, "every descriptor came back")
            rounds.append((peak, server.residentKilobytes()))
        }
        print("many connections: descriptors \(baseFDs) → \(baseFDs + 10_000) → \(descriptors(server.pid)); RSS KiB "
              + "\(baseRSS) → \(rounds.map { "\($0.peak) → \($0.after)" }.joined(separator: ", then "))")
        // The allocator keeps freed pages, so RSS does not fall to the baseline; a
        // second round reusing them without growing shows nothing leaked.
        XCTAssertLessThan(rounds[1].after - rounds[0].after, 2048, "no growth from one round to the next")
        probe.sendLine("/nick u1")
        XCTAssertTrue(probe.waitFor("-!- You are now known as u1"), "the nicks are free again")
    }
}

/// A half-open peer: connected, then silent and never reading (its network is
/// gone, or it hangs). The ping timeout reaps it; meanwhile what waits for it is
/// bounded by the SendQ, and everyone else keeps chatting.
final class HalfOpenPeerTests: XCTestCase {
    func testAPeerThatStopsReadingAndAnsweringIsReapedByThePingTimeout() throws {
        let server = try RelayProcess.serve(["--name", "relay.test", "--ping-interval", "2", "--sendq", "65536",
                                             "--flood-rate", "0"])
        defer { server.stop() }
        let watcher = try ircUser(port: server.port, nick: "watcher", room: "#busy")
        let talker = try ircUser(port: server.port, nick: "talker", room: "#busy")
        // The half-open one: a tiny receive buffer, registered, then never a read or a PONG again.
        let gone = try TestClient(port: server.port, receiveBuffer: 4096)
        gone.sendLine("NICK gone")
        gone.sendLine("USER gone 0 * :gone")
        gone.sendLine("JOIN #busy")
        XCTAssertNotNil(watcher.waitFor { $0.hasPrefix(":gone!") && $0.hasSuffix(" JOIN #busy") })
        let body = String(repeating: "t", count: 150)
        var reaped: String?
        var sent = 0
        let deadline = Date().addingTimeInterval(20)
        while reaped == nil && Date() < deadline {
            for _ in 0..<5 {
                sent += 1
                talker.sendLine("PRIVMSG #busy :\(sent) \(body)")
            }
            while let line = watcher.readLine(timeout: 0.1) {
                if line.hasPrefix("PING ") { watcher.sendLine("PONG " + line.dropFirst(5)) }
                if line.hasPrefix(":gone!") && line.contains(" QUIT :") { reaped = line }
            }
            while let line = talker.readLine(timeout: 0.001) {
                if line.hasPrefix("PING ") { talker.sendLine("PONG " + line.dropFirst(5)) }
            }
        }
        XCTAssertEqual(reaped?.components(separatedBy: " QUIT :").last, "Ping timeout: 4 seconds", "\(sent) lines sent")
        XCTAssertTrue(server.waitForStderr { $0.contains("nick=gone reason=") }.contains("nick=gone reason=\"Ping timeout: 4 seconds\""))
        XCTAssertLessThan(server.residentKilobytes(), 64 * 1024, "what waited for it stayed bounded")
        talker.sendLine("PRIVMSG #busy :after")
        XCTAssertNotNil(watcher.waitFor { $0.hasSuffix(" PRIVMSG #busy :after") }, "the room goes on")
    }
}
