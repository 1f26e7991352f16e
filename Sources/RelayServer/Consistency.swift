import RelayIRC

extension ChatServer {
    /// What is wrong with the core's bookkeeping, or nil: every member of a room
    /// lists the room and every room a user lists has them as a member; nick
    /// index and users agree; no room is empty (but the lobby); MONITOR's two
    /// indexes agree; no labeled reply is left held. For fuzzing and
    /// tests; it walks everything, so never on a hot path.
    public func consistencyProblem() -> String? {
        for user in users.values {
            for room in user.rooms where !room.members.contains(where: { $0 === user }) {
                return "\(user.nick) lists \(room.name), which does not list them"
            }
            // (In a cluster, a remote user whose nick an older claim holds waits for its node to rename it.)
            if user.registered, nicks[Casemapping.fold(user.nick)] !== user, !isRemote(user) {
                return "\(user.nick) is registered but not in the nick index"
            }
        }
        for (folded, user) in nicks where users[user.id] !== user || Casemapping.fold(user.nick) != folded {
            return "the nick index has \(folded) for \(user.nick), who is gone or renamed"
        }
        for (folded, watchers) in monitors {
            if watchers.isEmpty { return "nobody MONITORs \(folded), yet it is listed" }
            for id in watchers where users[id]?.monitoring.contains(folded) != true {
                return "\(folded) is MONITORed for client \(id), who is gone or does not list it"
            }
        }
        for user in users.values {
            for folded in user.monitoring where monitors[folded]?.contains(user.id) != true {
                return "\(user.nick) MONITORs \(folded), which does not list them"
            }
            if user.monitoring.count > config.monitorLimit { return "\(user.nick) MONITORs past the limit" }
            if user.captured != nil { return "\(user.nick) has a labeled reply still held" }
        }
        for room in rooms.values {
            for member in room.members {
                if users[member.id] !== member { return "\(room.name) lists \(member.nick), who is gone" }
                if !member.rooms.contains(where: { $0 === room }) { return "\(room.name) lists \(member.nick), who does not list it" }
            }
            if room.members.isEmpty && Casemapping.fold(room.name) != config.defaultRoom.map(Casemapping.fold) {
                return "\(room.name) is empty and still exists"
            }
        }
        return nil
    }
}
