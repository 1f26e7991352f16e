/// Splits a byte stream into lines.
///
///     bytes in:  "PRIVMSG #a :hi\r\nNICK b\nhalf"
///     lines out: "PRIVMSG #a :hi", "NICK b"       ("half" waits for more)
///
/// - A line ends at LF; a CR just before it is dropped, and so is any stray CR
///   inside it (old clients, telnet).
/// - A line longer than `maxLineLength` bytes (terminator excluded) is reported
///   once as `.tooLong` and its bytes are discarded up to the next LF: the
///   stream stays usable and the next line frames normally.
/// - Lines wholly inside one chunk are handed out as slices of that chunk, with no
///   copy; only an unfinished tail is kept, and its storage is released once
///   the line completes, so an idle connection holds no buffer.
/// - At end of file, `finish()` hands out an unterminated tail as a last line.
///
/// NUL bytes are passed through: whether they are acceptable is the protocol's call.
public struct LineFramer {
    public enum Frame: Equatable {
        case line(ArraySlice<UInt8>)
        /// A line over the limit was discarded; `length` counts the bytes seen before the cut.
        case tooLong(length: Int)
    }

    public let maxLineLength: Int
    /// The unfinished line so far (never longer than the limit + 1 for a CR).
    private var pending: [UInt8] = []
    /// Discarding an over-long line until its LF.
    private var discarding = false

    public init(maxLineLength: Int) {
        precondition(maxLineLength > 0)
        self.maxLineLength = maxLineLength
    }

    /// Bytes held for an unfinished line.
    public var bufferedByteCount: Int { pending.count }

    /// Frames `chunk`, calling `emit` for each complete line in order.
    public mutating func feed(_ chunk: ArraySlice<UInt8>, _ emit: (Frame) -> Void) {
        var start = chunk.startIndex
        while start < chunk.endIndex {
            guard let newline = chunk[start...].firstIndex(of: UInt8(ascii: "\n")) else {
                keepTail(chunk[start...], emit)
                return
            }
            let piece = chunk[start..<newline]
            start = newline + 1
            if discarding {
                discarding = false
                continue
            }
            if pending.isEmpty {
                finishLine(piece, emit)
            } else {
                if pending.count + piece.count > maxLineLength + 1 {
                    emit(.tooLong(length: pending.count + piece.count))
                    pending = []
                    continue
                }
                pending.append(contentsOf: piece)
                let line = pending
                pending = []
                finishLine(line[...], emit)
            }
        }
    }

    /// End of input: the unterminated tail, if any, as a last line.
    public mutating func finish() -> Frame? {
        defer { pending = []; discarding = false }
        guard !pending.isEmpty, !discarding else { return nil }
        let line = cleaned(pending[...])
        return line.isEmpty ? nil : .line(line)
    }

    private mutating func keepTail(_ tail: ArraySlice<UInt8>, _ emit: (Frame) -> Void) {
        if discarding { return }
        // One byte of slack: the CR of a CRLF split across reads.
        if pending.count + tail.count > maxLineLength + 1 {
            emit(.tooLong(length: pending.count + tail.count))
            pending = []
            discarding = true
            return
        }
        pending.append(contentsOf: tail)
    }

    private func finishLine(_ raw: ArraySlice<UInt8>, _ emit: (Frame) -> Void) {
        let line = cleaned(raw)
        if line.count > maxLineLength {
            emit(.tooLong(length: line.count))
        } else {
            emit(.line(line))
        }
    }

    /// Drops a trailing CR and, in the rare line that has them, stray CRs inside.
    private func cleaned(_ raw: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var line = raw
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        guard line.contains(UInt8(ascii: "\r")) else { return line }
        return ArraySlice(line.filter { $0 != UInt8(ascii: "\r") })
    }
}
