import RelayIRC

/// Events as IRCv3 clients get them: with the time, a msgid for messages,
/// and the tags of who caused them.
extension ChatServer {
    /// An event caused by `user` (nil: the server), stamped now.
    func event(_ message: Message, from user: User? = nil, msgid: MessageID? = nil, clientTags: [UInt8] = []) -> TaggedLine {
        TaggedLine(message.bytes, millis: wallClockMillis(), msgid: msgid, account: user?.account,
                   bot: user?.isBot ?? false, clientTags: clientTags)
    }

    func nextMsgid() -> MessageID {
        messageCounter += 1
        return MessageID(prefix: msgidPrefix, number: messageCounter)
    }

    /// A client's client-only tags ("+key=value"), as relayed: only from a
    /// client that negotiated message-tags, and only well-formed keys.
    static func clientTags(of message: Message, from user: User) -> [UInt8] {
        guard user.caps.contains(.messageTags), !message.tags.isEmpty else { return [] }
        var out: [UInt8] = []
        for key in message.tags.keys.sorted() where key.hasPrefix("+") && isTagKey(key.dropFirst()) {
            if !out.isEmpty { out.append(UInt8(ascii: ";")) }
            Message.appendTag(key, message.tags[key], to: &out)
        }
        return out
    }

    /// `[vendor/]name`: letters, digits, "-", "." and one "/".
    private static func isTagKey(_ key: Substring) -> Bool {
        !key.isEmpty && key.utf8.allSatisfy { byte in
            (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "/")
        }
    }

    /// Sends `event` to everyone who shares a room with `user` and has
    /// `capability`, and to those MONITORing them with extended-monitor and
    /// `capability` (away-notify, setname, chghost, account-notify); with
    /// `includingSelf`, to `user` too when they have it.
    func notify(about user: User, _ capability: Capability, _ event: TaggedLine, includingSelf: Bool = false) {
        var seen: Set<ClientID> = [user.id]
        for peer in peers(of: user) where peer.caps.contains(capability) {
            seen.insert(peer.id)
            peer.send(event)
        }
        for id in monitors[Casemapping.fold(user.nick)] ?? [] {
            guard let watcher = users[id], watcher.caps.isSuperset(of: [capability, .extendedMonitor]),
                  seen.insert(id).inserted else { continue }
            watcher.send(event)
        }
        if includingSelf && user.caps.contains(capability) { user.send(event) }
    }
}
