/// Lines a client sent that flood control has not let through yet, kept as one
/// run of bytes (a two-byte length before each line) rather than an array per
/// line: an empty line costs its two bytes, not an allocation, so what a
/// flooder can make the server hold is the byte count the limit names.
struct InputQueue {
    private var storage: [UInt8] = []
    /// Where the oldest line starts; the bytes before it are spent. (Int32, like
    /// `lines`: the queue is bounded far below, and every connection has one.)
    private var head: Int32 = 0
    private var lines: Int32 = 0
    /// Lines waiting.
    var count: Int { Int(lines) }

    /// What the queue holds against its limit: each line's bytes plus two.
    var cost: Int { storage.count - Int(head) }
    var isEmpty: Bool { lines == 0 }

    /// The largest line the queue takes (the framer's limit is below it).
    static let maxLineLength = Int(UInt16.max)

    mutating func append(_ line: ArraySlice<UInt8>) {
        precondition(line.count <= Self.maxLineLength)
        storage.append(UInt8(line.count >> 8))
        storage.append(UInt8(line.count & 0xFF))
        storage.append(contentsOf: line)
        lines += 1
    }

    /// The oldest line, still queued.
    var first: ArraySlice<UInt8>? {
        guard lines > 0 else { return nil }
        let head = Int(self.head)
        let length = Int(storage[head]) << 8 | Int(storage[head + 1])
        return storage[(head + 2)..<(head + 2 + length)]
    }

    mutating func popFirst() -> [UInt8]? {
        guard lines > 0 else { return nil }
        var head = Int(self.head)
        let length = Int(storage[head]) << 8 | Int(storage[head + 1])
        let line = Array(storage[(head + 2)..<(head + 2 + length)])
        head += 2 + length
        lines -= 1
        if lines == 0 {
            removeAll()
            return line
        } else if head > 4096 && head > storage.count / 2 {
            storage.removeFirst(head)  // spent bytes go once they are half the buffer
            head = 0
        }
        self.head = Int32(head)
        return line
    }

    /// Forgets every line and releases the storage.
    mutating func removeAll() {
        storage = []
        head = 0
        lines = 0
    }
}
