/// Messages written and not yet answered by the server, and the confirmations
/// waiting on them: a confirmation is done once every message written before
/// it is answered. The answer to a labeled message names it (labeled-response);
/// an echo or a refusal answers the oldest one still open (echo-message: the
/// server answers in order).
struct AwaitedAnswers {
    private var written = 0
    private var open: Set<Int> = []
    private var confirmations: [(token: String, upTo: Int)] = []

    var isEmpty: Bool { open.isEmpty }

    /// A message goes out: its number (its label's).
    mutating func write() -> Int {
        written += 1
        open.insert(written)
        return written
    }

    /// A confirmation after everything written so far.
    mutating func confirm(_ token: String) {
        confirmations.append((token, written))
    }

    /// Message `number` was answered, or the oldest open one with nil; the
    /// tokens whose messages are now all answered.
    mutating func answered(_ number: Int? = nil) -> [String] {
        guard let number = number ?? open.min(), open.remove(number) != nil else { return [] }
        let oldestOpen = open.min() ?? Int.max
        var done: [String] = []
        while let first = confirmations.first, first.upTo < oldestOpen {
            confirmations.removeFirst()
            done.append(first.token)
        }
        return done
    }
}
