/// Splits a byte stream into lines.
///
///     bytes in:  "PRIVMSG #a :hi\r\nNICK b\rNICK c\nhalf"
///     lines out: "PRIVMSG #a :hi", "NICK b", "NICK c"       ("half" waits for more)
///
/// - A line ends at CRLF, at a lone LF, or at a lone CR (telnet in some modes,
///   old Mac clients): a CR never glues two lines into one. A CRLF split across
///   two reads is still one line end.
/// - A line longer than `maxLineLength` bytes (terminator excluded) is discarded
///   as it arrives (memory stays bounded) and reported once, with its real
///   length, as `.tooLong` when it ends: the next line frames normally.
/// - Lines wholly inside one chunk are handed out as slices of that chunk, with no
///   copy; only an unfinished tail is kept, and its storage is released once
///   the line completes, so an idle connection holds no buffer.
/// - At end of file, `finish()` hands out an unterminated tail as a last line.
///
/// NUL bytes are passed through: whether they are acceptable is the protocol's call.
public struct LineFramer {
    public enum Frame: Equatable {
        case line(ArraySlice<UInt8>)
        /// A line over the limit was discarded; `length` is its length in bytes.
        case tooLong(length: Int)
    }

    public let maxLineLength: Int
    /// The unfinished line so far (never longer than the limit).
    private var pending: [UInt8] = []
    /// Discarding an over-long line until its line end, and how much of it so far.
    private var discarded = 0
    private var discarding = false
    /// The last chunk ended with a CR: an LF starting the next one belongs to it.
    /// (Beside `discarding`: the two flags share one word of every connection.)
    private var afterCR = false

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")

    public init(maxLineLength: Int) {
        precondition(maxLineLength > 0)
        self.maxLineLength = maxLineLength
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { pending.count }

    /// Frames `chunk`, calling `emit` for each complete line in order.
    public mutating func feed(_ chunk: ArraySlice<UInt8>, _ emit: (Frame) -> Void) {
        _ = feed(chunk, maxFrames: Int.max, emit)
    }

    /// Frames `chunk`, emitting at most `maxFrames` frames; returns where it
    /// stopped: `chunk.endIndex` when all of it was taken, else the first byte
    /// not yet framed (the caller feeds the rest later, so one chunk of tiny
    /// lines cannot make one turn of the loop do unbounded work).
    public mutating func feed(_ chunk: ArraySlice<UInt8>, maxFrames: Int, _ emit: (Frame) -> Void) -> Int {
        var emitted = 0
        var start = chunk.startIndex
        if afterCR, start < chunk.endIndex {
            afterCR = false
            if chunk[start] == Self.lf { start += 1 }
        }
        while start < chunk.endIndex {
            if emitted >= maxFrames { return start }
            guard let end = chunk[start...].firstIndex(where: { $0 == Self.lf || $0 == Self.cr }) else {
                keepTail(chunk[start...])
                return chunk.endIndex
            }
            emitted += 1
            let piece = chunk[start..<end]
            start = end + 1
            if chunk[end] == Self.cr {
                if start == chunk.endIndex { afterCR = true } else if chunk[start] == Self.lf { start += 1 }
            }
            if discarding {
                discarding = false
                emit(.tooLong(length: discarded + piece.count))
                continue
            }
            if pending.isEmpty {
                finishLine(piece, emit)
            } else if pending.count + piece.count > maxLineLength {
                emit(.tooLong(length: pending.count + piece.count))
                pending = []
            } else {
                pending.append(contentsOf: piece)
                let line = pending
                pending = []
                emit(.line(line[...]))
            }
        }
        return chunk.endIndex
    }

    /// End of input: the unterminated tail, if any, as a last line.
    public mutating func finish() -> Frame? {
        defer { pending = []; discarding = false; afterCR = false }
        if discarding { return .tooLong(length: discarded) }
        return pending.isEmpty ? nil : .line(pending[...])
    }

    private mutating func keepTail(_ tail: ArraySlice<UInt8>) {
        if discarding {
            discarded += tail.count
            return
        }
        if pending.count + tail.count > maxLineLength {
            discarded = pending.count + tail.count
            pending = []
            discarding = true
            return
        }
        pending.append(contentsOf: tail)
    }

    private func finishLine(_ line: ArraySlice<UInt8>, _ emit: (Frame) -> Void) {
        emit(line.count > maxLineLength ? .tooLong(length: line.count) : .line(line))
    }
}
