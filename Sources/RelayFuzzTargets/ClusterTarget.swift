import RelayIRC
import RelayServer

/// What a node of a cluster reads from Redis: RESP replies under arbitrary
/// chunkings (the values never depend on where reads split them), then the
/// events they carry, applied to a core with local users in a room. Lines to
/// the local users stay clean and IRC lines fit; the bookkeeping stays
/// consistent through events, the link's loss and its return.
enum ClusterTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        let seed = cursor.byte()
        let stream = cursor.rest()
        resp(Array(stream), seed: seed)
        events(stream, seed: seed)
    }

    private static func values(_ stream: [UInt8], chunk: () -> Int) -> ([RESPValue], Bool) {
        var parser = RESPParser(maxBulk: 4096, maxElements: 64)
        var out: [RESPValue] = []
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + chunk())
            parser.feed(stream[start..<end])
            start = end
            do {
                while let value = try parser.next() { out.append(value) }
            } catch {
                return (out, true)
            }
        }
        return (out, false)
    }

    private static func resp(_ stream: [UInt8], seed: UInt8) {
        let whole = values(stream, chunk: { stream.count })
        var state = UInt32(seed) | 1
        let chunked = values(stream, chunk: {
            state = state &* 1_103_515_245 &+ 12_345
            return Int(state >> 16) % 13 + 1
        })
        precondition(whole.0 == chunked.0 && whole.1 == chunked.1, "RESP values depend on the chunking")
    }

    private static func events(_ stream: ArraySlice<UInt8>, seed: UInt8) {
        var config = ServerConfig()
        config.name = "fuzz.node"
        config.historyLength = 3
        config.floodRate = 0
        let server = ChatServer(config: config, wallClock: { 1_700_000_000 })
        var now = ContinuousClock.now
        server.joinCluster(nodeID: "nme", ttl: .seconds(8), now: now)
        server.clusterLinkUp(wasLost: false)
        let irc = CheckedEndpoint(irc: true), plain = CheckedEndpoint(irc: false)
        server.accept(1, endpoint: irc, host: "127.0.0.1", now: now)
        server.accept(2, endpoint: plain, host: "127.0.0.2", now: now)
        for line in ["NICK ana", "USER ana 0 * :Ana", "JOIN #ops"] { server.receive(1, line: ArraySlice(line.utf8), now: now) }
        now += .seconds(2)
        server.tick(now: now)
        server.receive(2, line: ArraySlice("/join #ops".utf8), now: now)
        for (index, line) in lines(stream).enumerated() {
            // Most lines get a known node and one of three users, so events reach the rules.
            var event = Array(line)
            if (Int(seed) + index) % 4 != 0 {
                event = Array("@n=nz\((Int(seed) + index) % 2);u=\(index % 3) ".utf8) + event
            }
            server.clusterReceive(event[...], now: now)
            _ = server.takeClusterEvents()
            _ = server.takeClusterSubscriptions()
            let history = server.takeClusterHistoryWork()
            for room in history.fetch { server.clusterHistory(of: room, lines: [event]) }
            if let problem = server.consistencyProblem() { preconditionFailure(problem) }
            if index % 16 == 15 {
                now += .seconds(3)
                server.tick(now: now)
                server.clusterHeartbeat(now: now)
            }
        }
        server.clusterLinkDown(reason: "fuzz")
        if let problem = server.consistencyProblem() { preconditionFailure(problem) }
        precondition(server.remoteUserCount == 0, "remote users left after the link was lost")
        server.clusterLinkUp(wasLost: true)
        if let problem = server.consistencyProblem() { preconditionFailure(problem) }
    }
}
