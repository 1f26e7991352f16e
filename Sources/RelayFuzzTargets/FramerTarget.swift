import RelayLoop

/// The line framer under arbitrary chunkings: the frames never depend on where
/// reads split the stream, lines never hold a line ending, and nothing is over
/// the limit.
enum FramerTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        let limit = Int(cursor.byte()) * 3 + 1
        let seed = cursor.byte()
        let stream = Array(cursor.rest())

        let whole = frames(of: stream, limit: limit, chunk: { _ in stream.count })
        var state = UInt32(seed) | 1
        let chunked = frames(of: stream, limit: limit, chunk: { _ in
            state = state &* 1_103_515_245 &+ 12_345
            return Int(state >> 16) % 17 + 1
        })
        precondition(whole == chunked, "frames depend on the chunking")
        var bytes = 0
        for frame in whole {
            switch frame {
            case .line(let line):
                precondition(line.count <= limit, "a line over the limit")
                precondition(!line.contains(10) && !line.contains(13), "a line ending inside a line")
                bytes += line.count
            case .tooLong(let length):
                precondition(length > limit, "an over-long report for a line that fits")
                bytes += length
            }
        }
        precondition(bytes <= stream.count, "more bytes out than in")
    }

    enum Frame: Equatable {
        case line([UInt8])
        case tooLong(Int)
    }

    private static func frames(of stream: [UInt8], limit: Int, chunk: (Int) -> Int) -> [Frame] {
        var framer = LineFramer(maxLineLength: limit)
        var out: [Frame] = []
        let collect = { (frame: LineFramer.Frame) in
            switch frame {
            case .line(let line): out.append(.line(Array(line)))
            case .tooLong(let length): out.append(.tooLong(length))
            }
        }
        var start = 0
        while start < stream.count {
            let end = min(stream.count, start + max(1, chunk(start)))
            framer.feed(stream[start..<end], collect)
            start = end
        }
        if let last = framer.finish() { collect(last) }
        return out
    }
}
