#if os(Linux)
import CRelaySys
import Glibc

/// The Linux backend: level-triggered epoll.
public final class EpollSelector: Selector {
    public let name = "epoll"
    private let epfd: Int32
    private var kernelEvents: [epoll_event]
    /// Descriptors epoll refuses (regular files, /dev/null: EPERM); always ready.
    private var alwaysReady: [Int32: Interest] = [:]
    /// What each descriptor asked for, to report an error or hang-up as writable
    /// to one that waits to write (epoll may report EPOLLERR without EPOLLOUT).
    private var interests = DescriptorTable<Interest>(empty: [])

    public init(capacity: Int = 1024) throws {
        epfd = try syscall("epoll_create1", { epoll_create1(Int32(EPOLL_CLOEXEC)) })
        kernelEvents = Array(repeating: epoll_event(), count: capacity)
    }

    deinit { close() }

    private static func mask(_ interest: Interest) -> UInt32 {
        var mask: UInt32 = 0
        if interest.contains(.read) { mask |= EPOLLIN.rawValue | EPOLLRDHUP.rawValue }
        if interest.contains(.write) { mask |= EPOLLOUT.rawValue }
        return mask
    }

    private func control(_ op: Int32, _ fd: Int32, _ interest: Interest, _ call: String) throws {
        var event = epoll_event()
        event.events = Self.mask(interest)
        event.data.fd = fd
        _ = try syscall(call, { epoll_ctl(epfd, op, fd, &event) })
    }

    public func add(_ fd: Int32, interest: Interest) throws {
        do {
            try control(EPOLL_CTL_ADD, fd, interest, "epoll_ctl(ADD)")
            interests[fd] = interest
        } catch let error as SystemError where error.code == EPERM {
            alwaysReady[fd] = interest
        }
    }

    public func modify(_ fd: Int32, interest: Interest) throws {
        if alwaysReady[fd] != nil {
            alwaysReady[fd] = interest
            return
        }
        try control(EPOLL_CTL_MOD, fd, interest, "epoll_ctl(MOD)")
        interests[fd] = interest
    }

    /// Set when the kernel has no epoll_pwait2 (before Linux 5.11).
    private var millisecondsOnly = false

    /// epoll_pwait2 waits to the microsecond (a write held for 300 µs must not
    /// wait a whole millisecond); epoll_wait counts milliseconds, rounded up.
    private func waitForEvents(_ timeout: Duration?) -> Int32 {
        kernelEvents.withUnsafeMutableBufferPointer { buffer in
            let capacity = Int32(buffer.count)
            if !millisecondsOnly {
                var count: Int32
                if let timeout {
                    var spec = Self.timespec(timeout)
                    count = epoll_pwait2(epfd, buffer.baseAddress, capacity, &spec, nil)
                } else {
                    count = epoll_pwait2(epfd, buffer.baseAddress, capacity, nil, nil)
                }
                if count >= 0 || errno != ENOSYS { return count }
                millisecondsOnly = true
            }
            return epoll_wait(epfd, buffer.baseAddress, capacity, EventLoop.milliseconds(rounding: timeout))
        }
    }

    /// `timeout` to the nanosecond, for epoll_pwait2.
    static func timespec(_ timeout: Duration) -> Glibc.timespec {
        let (seconds, attoseconds) = timeout.components
        return Glibc.timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
    }

    public func remove(_ fd: Int32) throws {
        if alwaysReady.removeValue(forKey: fd) != nil { return }
        interests[fd] = []
        var event = epoll_event()
        _ = try syscall("epoll_ctl(DEL)", { epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event) })
    }

    public func wait(timeout: Duration?, into events: inout [ReadyEvent]) throws {
        events.removeAll(keepingCapacity: true)
        for (fd, interest) in alwaysReady where !interest.isEmpty {
            events.append(ReadyEvent(fd: fd, readable: interest.contains(.read), writable: interest.contains(.write)))
        }
        let timeout = events.isEmpty ? timeout : .zero
        // EINTR: a turn with no events (the loop recomputes its timeout), not an error.
        let (count, code) = attempt { waitForEvents(timeout) }
        if count < 0 {
            if code == EINTR { return }
            throw SystemError("epoll_wait", code: code)
        }
        for index in 0..<Int(count) {
            let raw = kernelEvents[index]
            events.append(Self.readyEvent(fd: raw.data.fd, flags: raw.events, interest: interests[raw.data.fd]))
        }
    }

    /// An error or hang-up is readable (the read path finds EOF or the error) and,
    /// for a descriptor waiting to write, writable too (the write path finds it).
    static func readyEvent(fd: Int32, flags: UInt32, interest: Interest) -> ReadyEvent {
        let trouble = flags & (EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue) != 0
        return ReadyEvent(fd: fd,
                          readable: flags & EPOLLIN.rawValue != 0 || trouble,
                          writable: flags & EPOLLOUT.rawValue != 0 || (trouble && interest.contains(.write)))
    }

    public func close() {
        if epfd >= 0 { _ = Glibc.close(epfd) }
    }
}
#endif
