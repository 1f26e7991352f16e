import RelayIRC

/// batch and labeled-response: several lines sent as one reply.
extension ChatServer {
    func nextBatchID() -> String {
        batchCounter += 1
        return String(batchCounter, radix: 36)
    }

    /// `lines` inside `BATCH +id type params…` … `BATCH -id` for a client
    /// with batch; as they are for one without.
    func sendBatch(_ user: User, type: String, params: [String] = [], lines: [[UInt8]]) {
        guard user.caps.contains(.batch) else { return lines.forEach(user.send) }
        let id = nextBatchID()
        user.send(Message(source: config.name, command: "BATCH", params: ["+" + id, type] + params))
        for line in lines { user.send(Message.addingTag("batch", id, to: line)) }
        user.send(Message(source: config.name, "BATCH", "-" + id))
    }

    /// The end of a labeled command: no reply is an ACK, one line carries the
    /// label, several go in a labeled-response batch (a batch already inside,
    /// like chathistory's, stays whole and nested).
    func finishLabeled(_ user: User, label: String) {
        guard let lines = user.captured else { return }
        user.captured = nil
        if lines.isEmpty {
            user.send(Message(tags: ["label": label], source: config.name, command: "ACK"))
        } else if lines.count == 1 {
            user.send(Message.addingTag("label", label, to: lines[0]))
        } else if user.caps.contains(.batch) {
            let id = nextBatchID()
            user.send(Message(tags: ["label": label], source: config.name, command: "BATCH", params: ["+" + id, "labeled-response"]))
            for line in lines {
                user.send(line.starts(with: Self.batchTagStart) ? line : Message.addingTag("batch", id, to: line))
            }
            user.send(Message(source: config.name, "BATCH", "-" + id))
        } else {
            lines.forEach(user.send)
        }
    }

    /// What a labeled command sent so far goes out unlabeled: the connection
    /// is closing (QUIT, KILL) and its last lines must not wait.
    func releaseCaptured(_ user: User) {
        guard let lines = user.captured else { return }
        user.captured = nil
        lines.forEach(user.send)
    }

    private static let batchTagStart = Array("@batch=".utf8)
}
