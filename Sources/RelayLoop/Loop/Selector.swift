/// What a source wants to hear about.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let read = Interest(rawValue: 1)
    public static let write = Interest(rawValue: 2)
}

/// One ready descriptor from a wait.
///
/// Backends only translate kernel flags: hangup and error are reported as
/// readable (and writable, if write interest was set), so the ordinary read or
/// write path meets the EOF or the error and names it.
public struct ReadyEvent: Equatable, Sendable {
    public var fd: Int32
    public var readable: Bool
    public var writable: Bool

    public init(fd: Int32, readable: Bool, writable: Bool) {
        self.fd = fd
        self.readable = readable
        self.writable = writable
    }
}

/// The contract every readiness backend keeps.
///
/// - `add` registers a descriptor once; `modify` changes its interest; `remove`
///   forgets it (before the descriptor is closed).
/// - `wait` blocks for at most `timeout` (nil: no limit) and replaces
///   `events` with what is ready. It returns early, with no events, when
///   interrupted; it never busy-waits.
/// - A descriptor the kernel cannot watch (a regular file) is always ready.
public protocol Selector: AnyObject {
    var name: String { get }
    func add(_ fd: Int32, interest: Interest) throws
    func modify(_ fd: Int32, interest: Interest) throws
    func remove(_ fd: Int32) throws
    func wait(timeout: Duration?, into events: inout [ReadyEvent]) throws
    func close()
}

public enum SelectorKind: String, CaseIterable, Sendable {
    case epoll
    case poll

    /// The backend named by RELAY_SELECTOR, or the best one for this system.
    public static func fromEnvironment(_ value: String?) -> SelectorKind? {
        guard let value, !value.isEmpty else {
            #if os(Linux)
            return .epoll
            #else
            return .poll
            #endif
        }
        return SelectorKind(rawValue: value.lowercased())
    }

    public func make() throws -> Selector {
        switch self {
        case .epoll:
            #if os(Linux)
            return try EpollSelector()
            #else
            throw SystemError("epoll_create1", code: ENOSYS)
            #endif
        case .poll:
            return PollSelector()
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
