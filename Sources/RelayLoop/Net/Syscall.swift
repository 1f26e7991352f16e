#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call: which call, and the errno it left.
///
/// Its description is one line, "call: reason", ready to follow "relay: ".
public struct SystemError: Error, CustomStringConvertible, Equatable {
    public let call: String
    public let code: Int32

    public init(_ call: String, code: Int32) {
        self.call = call
        self.code = code
    }

    public var reason: String { String(cString: strerror(code)) }
    public var description: String { "\(call): \(reason)" }
}

/// The outcome of a non-blocking call: done with a value, or it would have blocked.
public enum IOResult<T> {
    case done(T)
    case wouldBlock
}

/// The one place that reads errno.
///
/// Runs `body` until it stops failing with EINTR. A negative result becomes a
/// `SystemError` naming `call`. EBADF and EFAULT are programming errors here,
/// never conditions to handle, so they stop the program.
@inline(__always)
public func syscall<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws -> T {
    while true {
        let result = body()
        if result >= 0 { return result }
        let code = errno
        if code == EINTR { continue }
        precondition(code != EBADF && code != EFAULT, "\(call()): \(String(cString: strerror(code)))")
        throw SystemError(call(), code: code)
    }
}

/// Like `syscall`, but EAGAIN/EWOULDBLOCK is a value, not an error.
@inline(__always)
public func nonBlockingSyscall<T: FixedWidthInteger>(_ call: @autoclosure () -> String, _ body: () -> T) throws -> IOResult<T> {
    while true {
        let result = body()
        if result >= 0 { return .done(result) }
        let code = errno
        if code == EINTR { continue }
        if code == EAGAIN || code == EWOULDBLOCK { return .wouldBlock }
        precondition(code != EBADF && code != EFAULT, "\(call()): \(String(cString: strerror(code)))")
        throw SystemError(call(), code: code)
    }
}

/// One call, no retry: its result and, when it failed, the errno it left (0
/// otherwise). For the calls whose failures are outcomes to tell apart rather
/// than errors (connect's EINPROGRESS, bind under a changed umask, a file that
/// is not there), and that must not be repeated after EINTR.
@inline(__always)
public func attempt<T: FixedWidthInteger>(_ body: () -> T) -> (result: T, code: Int32) {
    let result = body()
    return (result, result < 0 ? errno : 0)
}

/// The errno a libc call that reports failure by a pointer or a flag left.
public func lastErrorCode() -> Int32 { errno }

/// errno set to 0, for a library that reads it after its own calls (OpenSSL's
/// SSL_get_error): a stale value must not be taken for this call's.
public func clearErrorCode() { errno = 0 }

/// Sets O_NONBLOCK on a descriptor (fcntl).
public func setNonBlocking(_ fd: Int32) throws {
    let flags = try syscall("fcntl", { fcntl(fd, F_GETFL) })
    _ = try syscall("fcntl", { fcntl(fd, F_SETFL, flags | O_NONBLOCK) })
}

/// Closes a descriptor (close). Errors are ignored: the descriptor is gone either way.
public func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
