/// Calendar fields of a Unix time in UTC, without Foundation (pure targets stay small).
public struct CivilTime: Equatable, Sendable {
    public let year: Int64, month: Int64, day: Int64, hour: Int64, minute: Int64, second: Int64
    /// 0 is Sunday.
    public let weekday: Int64

    public init(unixSeconds seconds: Int64) {
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondsOfDay = seconds - days * 86400
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondsOfDay / 3600
        minute = secondsOfDay / 60 % 60
        second = secondsOfDay % 60
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// "Fri Nov 27 2026 09:00:00 UTC"
    public var readable: String {
        let weekdayName = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][Int(weekday)]
        let monthName = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][Int(month - 1)]
        return "\(weekdayName) \(monthName) \(day) \(year) \(Self.two(hour)):\(Self.two(minute)):\(Self.two(second)) UTC"
    }

    /// "2026-11-27T09:00:00Z"
    public var iso8601: String {
        "\(year)-\(Self.two(month))-\(Self.two(day))T\(Self.two(hour)):\(Self.two(minute)):\(Self.two(second))Z"
    }
}
