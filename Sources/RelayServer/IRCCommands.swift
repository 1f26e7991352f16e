import RelayIRC

/// The IRC dialect.
extension ChatServer {
    func handleIRC(_ user: User, line: ArraySlice<UInt8>, now: ContinuousClock.Instant) {
        let message: Message
        do {
            message = try Message.parse(line)
        } catch .tooLong, .tagsTooLong {
            return reply(user, .lineTooLong(line.count))
        } catch .containsNul {
            return reply(user, .lineHasNul)
        } catch {
            return
        }
        reply(user, .unknownCommand(message.command))
    }
}
