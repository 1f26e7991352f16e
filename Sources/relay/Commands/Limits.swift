import ArgumentParser

/// The ranges every numeric option is checked against before anything starts.
/// Each is what the code can serve: a timeout beyond a day is a typo, a rate
/// below 0.001 lines per second cannot be scheduled, a topic must hold a character.
enum Limits {
    static let timeout = 1...86_400
    static let port = 0...65_535
    static let history = 0...1_000
    static let sendQueue = 4_096...(1 << 30)
    static let clients = 1...1_000_000
    static let perIP = 0...1_000_000
    static let pingInterval = 1...86_400
    static let floodBurst = 1...10_000
    static let nickLength = 9...200
    static let channelLength = 2...200
    static let topicLength = 1...400
    static let channels = 1...1_000
    /// Lines per second; 0 is also accepted and turns pacing off.
    static let rate = 0.001...1_000_000.0
    /// A hold longer than this is latency a user would notice.
    static let coalesce = 0.001...10.0

    static func check(_ option: String, _ value: Int, _ range: ClosedRange<Int>) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) must be \(range.lowerBound) to \(range.upperBound) (got \(value))")
        }
    }

    static func check(_ option: String, _ value: Double, _ range: ClosedRange<Double>) throws {
        guard value == 0 || range.contains(value) else {
            throw ValidationError("\(option) must be 0 (off) or \(range.lowerBound) to \(Int(range.upperBound)) (got \(value))")
        }
    }
}
