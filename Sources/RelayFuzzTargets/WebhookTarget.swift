import RelayHTTP
import RelayIRC

/// HTTP bytes, cut into reads where the input says, through the request parser
/// and the webhook policy. Invariants: the parser holds no more than its
/// limits allow plus what it was given; every decision is an answer with a
/// real status, or lines that are each one clean line, at most the cap, for a
/// valid room.
enum WebhookTarget {
    static func run(_ data: [UInt8]) {
        var cursor = FuzzCursor(data)
        var limits = HTTPRequestParser.Limits()
        limits.bodyBytes = 512 + Int(cursor.byte()) * 8
        limits.headerCount = 1 + Int(cursor.byte() % 32)
        let cut = Int(cursor.byte())
        let bytes = Array(cursor.rest())
        var config = Webhooks.Config()
        if bytes.count % 3 == 0 { config.token = "t" }
        if bytes.count % 5 == 0 { config.secret = "s" }
        config.templates = [try! WebhookTemplate.parse("t={a.b} {c.0}")]
        let hooks = Webhooks(config: config) { key, message in Array((key + message).prefix(32)) }
        let parser = HTTPRequestParser(limits: limits)
        var outcomes: [HTTPRequestParser.Outcome] = []
        let step = max(1, cut)
        var index = 0
        while index < bytes.count {
            let end = min(bytes.count, index + step)
            outcomes.append(parser.feed(bytes[index..<end]))
            index = end
            precondition(parser.bufferedBytes <= limits.headerBytes + limits.bodyBytes + limits.targetBytes + bytes.count)
            while case .request = outcomes.last! { outcomes.append(parser.next()) }
        }
        for case .request(let request) in outcomes {
            switch hooks.decide(request) {
            case .answer(let response):
                precondition((200...599).contains(response.status))
                precondition(!response.body.contains("\r") && !response.body.contains("\n"))
            case .post(let room, let lines, _):
                precondition(Names.isValidChannel(room, maxLength: 200))
                precondition(!lines.isEmpty && lines.count <= config.maxLines)
                for line in lines {
                    precondition(!line.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0 == "\0" })
                }
            }
        }
    }
}
