import DequeModule
import RelayIRC

/// The lines waiting for one network — while it is down, and while its pacer
/// holds them back — bounded by count and by age. What falls off is counted per
/// room, so the room can be told. Lines leave in order, each once.
public struct BridgeOutbox: Sendable {
    public let limit: Int
    public let maxAge: Duration
    fileprivate var lines = Deque<(delivery: BridgeRouter.Delivery, at: ContinuousClock.Instant)>()
    /// Dropped and not yet reported, by room (folded), with the room's name.
    private var unreported: [String: (room: String, count: Int)] = [:]
    public private(set) var droppedTotal = 0
    /// When a line last fell off, for reporting once a burst is over.
    public fileprivate(set) var lastDropAt: ContinuousClock.Instant?
    public var hasUnreported: Bool { !unreported.isEmpty }
    /// Everything dropped, by folded room, for the operator's counters.
    public private(set) var droppedByRoom: [String: Int] = [:]

    public init(limit: Int, maxAge: Duration) {
        self.limit = max(1, limit)
        self.maxAge = maxAge
    }

    public var count: Int { lines.count }
    public var isEmpty: Bool { lines.isEmpty }

    /// Queues a line; when full, the oldest one falls off.
    public mutating func push(_ delivery: BridgeRouter.Delivery, now: ContinuousClock.Instant) {
        if lines.count >= limit, let oldest = lines.popFirst() {
            drop(oldest.delivery)
            lastDropAt = now
        }
        lines.append((delivery, now))
    }

    /// The oldest line whose room is `ready` (joined), after dropping lines older
    /// than `maxAge`. Lines for one room keep their order; a room not joined yet
    /// does not hold up the others.
    public mutating func pop(now: ContinuousClock.Instant, ready: (String) -> Bool = { _ in true }) -> BridgeRouter.Delivery? {
        while let first = lines.first, now - first.at > maxAge {
            lines.removeFirst()
            drop(first.delivery)
            lastDropAt = now
        }
        guard let index = lines.firstIndex(where: { ready($0.delivery.room) }) else { return nil }
        return lines.remove(at: index).delivery
    }

    fileprivate mutating func drop(_ delivery: BridgeRouter.Delivery) {
        droppedTotal += 1
        droppedByRoom[Casemapping.fold(delivery.room), default: 0] += 1
        unreported[Casemapping.fold(delivery.room), default: (delivery.room, 0)].count += 1
    }

    /// What was dropped since the last call, by room, in room order.
    public mutating func takeDropped() -> [(room: String, count: Int)] {
        defer { unreported.removeAll(); unreportedSince = nil }
        return unreported.values.sorted { $0.room < $1.room }
    }

    /// Since when drops wait to be reported.
    private var unreportedSince: ContinuousClock.Instant?

    /// The rule for telling a room what it lost: once the backlog is through
    /// and nothing fell off for `quiet` (one notice for a burst, not one per
    /// line), or every `overdue` while that never happens. Returns what to
    /// report, by room, or nothing yet.
    public mutating func dropReport(now: ContinuousClock.Instant, quiet: Duration = .seconds(1),
                                    overdue: Duration = .seconds(60)) -> [(room: String, count: Int)] {
        guard hasUnreported else { return [] }
        if unreportedSince == nil { unreportedSince = now }
        let burstOver = isEmpty && lastDropAt.map { now - $0 >= quiet } ?? true
        let late = unreportedSince.map { now - $0 >= overdue } ?? false
        return burstOver || late ? takeDropped() : []
    }

    /// Lines waiting for `room`.
    public func waiting(for room: String) -> Int {
        lines.count { Casemapping.equal($0.delivery.room, room) }
    }
}

/// Rejoining after a kick: after `delay`, at most `limit` times per room, then
/// the operator is told and the room left alone.
public struct RejoinPolicy: Sendable {
    public let delay: Duration
    public let limit: Int
    private var kicks: [String: Int] = [:]

    public init(delay: Duration, limit: Int = 5) {
        self.delay = delay
        self.limit = limit
    }

    /// The bridge was kicked from `room` on `network`: when to rejoin, or nil to give up.
    public mutating func kicked(network: Int, room: String, now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        let key = "\(network) \(Casemapping.fold(room))"
        kicks[key, default: 0] += 1
        return kicks[key]! <= limit ? now + delay : nil
    }
}

/// How a bridge's run ends: exit 1 if no network could be reached at start,
/// 3 if every network refused the bridge (password, ban, nick); otherwise it runs
/// until told to stop, leaving refused networks alone.
public struct BridgeHealth: Sendable {
    private var reached: Set<Int> = []
    private var refused: Set<Int> = []

    public init() {}

    public mutating func registered(_ network: Int) { reached.insert(network) }

    /// A refusal: retrying is pointless. The exit status if every network in `live` has now refused.
    public mutating func refused(_ network: Int, live: [Int]) -> Int32? {
        refused.insert(network)
        return live.allSatisfy(refused.contains) ? ExitStatus.authentication : nil
    }

    public func isRefused(_ network: Int) -> Bool { refused.contains(network) }

    /// Whether the network has ever registered us: a drop then is a loss; before,
    /// it is a network not reached yet.
    public func wasReached(_ network: Int) -> Bool { reached.contains(network) }

    /// A network configured anew gets a fresh start.
    public mutating func forget(_ network: Int) {
        refused.remove(network)
        reached.remove(network)
    }

    /// The start-up deadline passed: exit 1 if nothing was ever reached.
    public var startFailed: Bool { reached.isEmpty }
}

/// The lines handed to one network's session and not yet known to have
/// reached its server. With echo-message, each echo settles the line it is
/// (and the lines before it, which the server answered otherwise or dropped);
/// a refusal settles its room's oldest line; what is still unsettled when the
/// connection drops is sent again after the reconnect (at least once: a line
/// whose echo was lost with the connection comes twice). Without echo-message
/// only the lines the pacer still held, never written, are sent again.
public struct BridgeInFlight: Sendable {
    public let limit: Int
    private var lines = Deque<BridgeRouter.Delivery>()

    public init(limit: Int = 256) {
        self.limit = max(1, limit)
    }

    public var count: Int { lines.count }

    public mutating func sent(_ delivery: BridgeRouter.Delivery) {
        lines.append(delivery)
        if lines.count > limit { lines.removeFirst() }  // long unanswered: the server has them or never will
    }

    /// Our line came back (echo-message); a relayed one (RELAYMSG) comes back as its body.
    public mutating func echoed(room: String, text: String) {
        guard let index = lines.prefix(64).firstIndex(where: {
            Casemapping.equal($0.room, room) && ($0.text == text || ($0.speaker != nil && $0.body == text))
        }) else { return }
        lines.removeFirst(index + 1)
    }

    /// The server refused a RELAYMSG: the lines to send again as plain
    /// PRIVMSGs (attribution in the text), oldest first. Refused in `room` (no
    /// right to relay there): every relayed line to it still in flight, since
    /// all of them will be; otherwise (a nick it would not take) the oldest.
    public mutating func relayRefused(room: String?) -> [BridgeRouter.Delivery] {
        let refused: [Int]
        if let room {
            refused = lines.indices.filter { lines[$0].speaker != nil && lines[$0].body != nil && Casemapping.equal(lines[$0].room, room) }
        } else {
            refused = lines.firstIndex { $0.speaker != nil && $0.body != nil }.map { [$0] } ?? []
        }
        let taken = refused.map { index -> BridgeRouter.Delivery in
            var delivery = lines[index]
            delivery.speaker = nil
            delivery.body = nil
            return delivery
        }
        for index in refused.reversed() { lines.remove(at: index) }
        return taken
    }

    /// The server refused a line to `room` (404, 403): it will not come back.
    public mutating func refused(room: String) {
        if let index = lines.firstIndex(where: { Casemapping.equal($0.room, room) }) { lines.remove(at: index) }
    }

    /// Without echo-message only the `unwritten` newest lines can still be lost: forget the rest.
    public mutating func keep(unwritten: Int) {
        if lines.count > unwritten { lines.removeFirst(lines.count - unwritten) }
    }

    /// The connection dropped: the lines to send again, oldest first.
    public mutating func takeUnsettled(echoes: Bool, unwritten: Int) -> [BridgeRouter.Delivery] {
        if !echoes { keep(unwritten: unwritten) }
        defer { lines.removeAll() }
        return Array(lines)
    }
}

extension BridgeOutbox {
    /// Lines to send again after a reconnect go first, in their order.
    public mutating func pushFront(_ deliveries: [BridgeRouter.Delivery], now: ContinuousClock.Instant) {
        for delivery in deliveries.reversed() { lines.prepend((delivery, now)) }
        while lines.count > limit, let newest = lines.popLast() {
            drop(newest.delivery)
            lastDropAt = now
        }
    }
}
