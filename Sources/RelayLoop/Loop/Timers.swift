import HeapModule

/// A handle to a scheduled timer, for cancelling it.
public struct TimerID: Hashable, Sendable {
    let sequence: UInt64

    /// No timer (sequence numbers start at 1): cancelling it does nothing. An
    /// Optional would take 16 bytes of every `Connection`; this takes 8.
    public static let none = TimerID(sequence: 0)
}

/// One-shot timers on the monotonic clock, earliest first.
///
/// Cancelling is lazy: a cancelled timer stays in the heap and is skipped when
/// it comes up, which keeps both scheduling and cancelling O(log n).
struct Timers {
    private struct Entry: Comparable {
        let deadline: ContinuousClock.Instant
        let sequence: UInt64
        static func < (a: Entry, b: Entry) -> Bool {
            (a.deadline, a.sequence) < (b.deadline, b.sequence)
        }
        static func == (a: Entry, b: Entry) -> Bool { a.sequence == b.sequence }
    }

    private var heap = Heap<Entry>()
    private var actions: [UInt64: () -> Void] = [:]
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { actions.isEmpty }

    mutating func schedule(at deadline: ContinuousClock.Instant, _ action: @escaping () -> Void) -> TimerID {
        nextSequence += 1
        heap.insert(Entry(deadline: deadline, sequence: nextSequence))
        actions[nextSequence] = action
        return TimerID(sequence: nextSequence)
    }

    mutating func cancel(_ id: TimerID) {
        actions[id.sequence] = nil
    }

    /// The earliest live deadline, dropping cancelled entries on the way.
    mutating func nextDeadline() -> ContinuousClock.Instant? {
        while let top = heap.min {
            if actions[top.sequence] != nil { return top.deadline }
            heap.removeMin()
        }
        return nil
    }

    /// Removes and returns the actions of every timer due at `now`, in deadline order.
    mutating func takeDue(at now: ContinuousClock.Instant) -> [() -> Void] {
        var due: [() -> Void] = []
        while let top = heap.min, top.deadline <= now {
            heap.removeMin()
            if let action = actions.removeValue(forKey: top.sequence) { due.append(action) }
        }
        return due
    }
}
