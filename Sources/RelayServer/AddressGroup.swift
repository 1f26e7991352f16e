/// Which connections count together for `--max-per-ip`: an IPv4 address on its
/// own, an IPv6 address by its /64 (one home or host gets a whole /64, so
/// counting single addresses would limit nothing), an IPv4-mapped IPv6 address
/// as the IPv4 address it is.
enum AddressGroup {
    /// The group's key for a numeric host as the host reports it
    /// (`inet_ntop`'s form, perhaps with a leading "0" before "::").
    static func key(_ host: String) -> String {
        guard host.contains(":") else { return host }
        let lowered = host.lowercased()
        if lowered.hasPrefix("::ffff:") || lowered.hasPrefix("0::ffff:"), lowered.contains("."),
           let colon = lowered.lastIndex(of: ":") {
            return String(lowered[lowered.index(after: colon)...])  // ::ffff:192.0.2.1
        }
        guard let groups = expand(host) else { return host }
        return groups.prefix(4).map { String($0, radix: 16) }.joined(separator: ":") + "::/64"
    }

    /// Loopback: 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104.
    static func isLoopback(_ host: String) -> Bool {
        let key = key(host)
        if key.hasPrefix("127.") { return true }
        guard let groups = expand(host) else { return false }
        return groups == [0, 0, 0, 0, 0, 0, 0, 1]
    }

    /// The eight 16-bit groups of an IPv6 address, nil if it is not one.
    static func expand(_ text: String) -> [UInt16]? {
        let bytes = Array(text.utf8)
        let doubles = bytes.indices.dropLast().filter { bytes[$0] == 58 && bytes[$0 + 1] == 58 }
        guard doubles.count <= 1 else { return nil }
        let halves = doubles.first.map { [String(decoding: bytes[..<$0], as: UTF8.self),
                                          String(decoding: bytes[($0 + 2)...], as: UTF8.self)] } ?? [text]
        func groups(_ part: String) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            for piece in part.split(separator: ":", omittingEmptySubsequences: false) {
                if piece.contains(".") {
                    let octets = piece.split(separator: ".").compactMap { UInt8($0) }
                    guard octets.count == 4 else { return nil }
                    result.append(UInt16(octets[0]) << 8 | UInt16(octets[1]))
                    result.append(UInt16(octets[2]) << 8 | UInt16(octets[3]))
                } else {
                    guard let value = UInt16(piece, radix: 16) else { return nil }
                    result.append(value)
                }
            }
            return result
        }
        guard let head = groups(halves[0]) else { return nil }
        if halves.count == 1 { return head.count == 8 ? head : nil }
        guard let tail = groups(halves[1]), head.count + tail.count < 8 else { return nil }
        return head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
    }
}
