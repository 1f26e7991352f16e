#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The portable backend: poll(2) over a dense array of pollfd.
public final class PollSelector: Selector {
    public let name = "poll"
    private var pollfds: [pollfd] = []
    private var indexOf: [Int32: Int] = [:]

    public init() {}

    private static func mask(_ interest: Interest) -> Int16 {
        var mask: Int16 = 0
        if interest.contains(.read) { mask |= Int16(POLLIN) }
        if interest.contains(.write) { mask |= Int16(POLLOUT) }
        return mask
    }

    public func add(_ fd: Int32, interest: Interest) throws {
        precondition(indexOf[fd] == nil, "poll: fd \(fd) added twice")
        indexOf[fd] = pollfds.count
        pollfds.append(pollfd(fd: fd, events: Self.mask(interest), revents: 0))
    }

    public func modify(_ fd: Int32, interest: Interest) throws {
        guard let index = indexOf[fd] else { throw SystemError("poll(modify)", code: ENOENT) }
        pollfds[index].events = Self.mask(interest)
    }

    public func remove(_ fd: Int32) throws {
        guard let index = indexOf.removeValue(forKey: fd) else { return }
        let last = pollfds.count - 1
        if index != last {
            pollfds[index] = pollfds[last]
            indexOf[pollfds[index].fd] = index
        }
        pollfds.removeLast()
    }

    /// poll counts whole milliseconds (rounded up): the portable fallback
    /// holds coalesced output up to a millisecond longer than epoll does.
    public func wait(timeout: Duration?, into events: inout [ReadyEvent]) throws {
        events.removeAll(keepingCapacity: true)
        let timeoutMilliseconds = EventLoop.milliseconds(rounding: timeout)
        let (count, code) = attempt {
            pollfds.withUnsafeMutableBufferPointer { buffer in poll(buffer.baseAddress, nfds_t(buffer.count), timeoutMilliseconds) }
        }
        if count < 0 {
            if code == EINTR { return }
            throw SystemError("poll", code: code)
        }
        if count == 0 { return }
        let trouble = Int16(POLLERR | POLLHUP | POLLNVAL)
        for entry in pollfds where entry.revents != 0 {
            let failed = entry.revents & trouble != 0
            events.append(ReadyEvent(
                fd: entry.fd,
                readable: entry.revents & Int16(POLLIN) != 0 || (failed && entry.events & Int16(POLLIN) != 0),
                writable: entry.revents & Int16(POLLOUT) != 0 || (failed && entry.events & Int16(POLLOUT) != 0)))
        }
    }

    public func close() {}
}
