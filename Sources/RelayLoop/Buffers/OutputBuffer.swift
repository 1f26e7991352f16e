#if canImport(Glibc)
import Glibc
#endif

/// Bytes waiting to be written to one socket (or pipe), with a bound.
///
/// Lines are appended as they are produced and written together, once per loop
/// turn, so many lines cost one write. A short write leaves the rest here and the
/// owner waits for writability. Storage is taken on first use and given up
/// once everything is written, so an idle connection holds no buffer; given up
/// to `SpareBuffers`, so a busy room's next lines reuse it instead of growing a
/// new one from nothing.
public struct OutputBuffer {
    public enum WriteOutcome: Equatable {
        /// Everything was written.
        case flushed
        /// The socket took only part; wait for writability and write again.
        case pending
    }

    /// The most bytes that may wait here (the send queue limit).
    public let limit: Int
    private var storage: [UInt8] = []
    private var head = 0

    public init(limit: Int) {
        self.limit = limit
    }

    public var count: Int { storage.count - head }
    public var isEmpty: Bool { head == storage.count }

    /// Appends `bytes` unless that would pass the limit; false means the
    /// reader is too slow and the connection should be dropped ("SendQ exceeded").
    @discardableResult
    public mutating func append(_ bytes: [UInt8]) -> Bool {
        guard count + bytes.count <= limit else { return false }
        if storage.capacity == 0 { storage = SpareBuffers.take() }
        compact()
        // Through a buffer pointer: the generic append(contentsOf:) retained and
        // released the line for each receiver (7 % of a fan-out's CPU, perf).
        bytes.withUnsafeBufferPointer { storage.append(contentsOf: $0) }
        return true
    }

    /// Appends `text`'s UTF-8 and a newline (no copy of its own on the way),
    /// unless that would pass the limit.
    public mutating func append(line text: String) -> Bool {
        guard count + text.utf8.count + 1 <= limit else { return false }
        if storage.capacity == 0 { storage = SpareBuffers.take() }
        compact()
        storage.append(contentsOf: text.utf8)
        storage.append(10)
        return true
    }

    /// Drops what was written, once it is half the storage.
    private mutating func compact() {
        if head > 0 && head >= storage.count / 2 {
            storage.removeSubrange(0..<head)
            head = 0
        }
    }

    /// Writes as much as `write` takes. `write` returns the bytes it took, or nil
    /// when it would block; it throws on a dead socket.
    public mutating func write(using write: (UnsafeRawBufferPointer) throws -> Int?) rethrows -> WriteOutcome {
        while head < storage.count {
            let written = try storage.withUnsafeBytes { raw in
                try write(UnsafeRawBufferPointer(rebasing: raw[head...]))
            }
            guard let written, written > 0 else { return .pending }
            head += written
        }
        SpareBuffers.keep(&storage)
        head = 0
        return .flushed
    }

    /// Writes to a non-blocking pipe (or any descriptor `send` does not take).
    public mutating func write(toPipe fd: Int32) throws -> WriteOutcome {
        try write { bytes in
            switch try nonBlockingSyscall("write", { Glibc.write(fd, bytes.baseAddress, bytes.count) }) {
            case .done(let written): return written
            case .wouldBlock: return nil
            }
        }
    }

    public mutating func removeAll() {
        storage = []
        head = 0
    }
}

/// Emptied output buffers, kept for the next lines instead of freed: in a busy
/// room every receiver's buffer empties at each write and fills again a moment
/// later, and growing each anew (allocation, copies, page faults) cost ~9 % of
/// a fan-out's CPU (perf). Bounded (1 MiB, buffers up to 64 KiB), and the loop
/// gives them all back once it has written nothing for a second
/// (`EventLoop`), so an idle server holds none.
/// Loop-thread only, like everything an `EventLoop` drives.
public enum SpareBuffers {
    nonisolated(unsafe) private static var spares: [[UInt8]] = []
    nonisolated(unsafe) private static var bytes = 0
    static let maxBytes = 1 << 20
    static let maxBuffer = 64 << 10

    public static var isEmpty: Bool { spares.isEmpty }
    /// Bytes of capacity held.
    public static var heldBytes: Int { bytes }

    /// A spare buffer (empty, with capacity), or a new empty one.
    static func take() -> [UInt8] {
        guard let buffer = spares.popLast() else { return [] }
        bytes -= buffer.capacity
        return buffer
    }

    /// Takes `buffer`'s storage if there is room for it; `buffer` is left empty with none.
    static func keep(_ buffer: inout [UInt8]) {
        let capacity = buffer.capacity
        if capacity > 0 && capacity <= maxBuffer && bytes + capacity <= maxBytes {
            buffer.removeAll(keepingCapacity: true)
            spares.append(buffer)
            bytes += capacity
        }
        buffer = []
    }

    /// Frees them all.
    public static func release() {
        spares = []
        bytes = 0
    }
}
