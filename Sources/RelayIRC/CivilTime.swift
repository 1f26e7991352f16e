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

    /// "2026-11-27 09:00" (UTC), for lines read back.
    public var dateAndMinute: String {
        "\(year)-\(Self.two(month))-\(Self.two(day)) \(Self.two(hour)):\(Self.two(minute))"
    }

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

/// IRCv3's timestamps (server-time, chathistory): "2026-11-27T09:00:00.123Z".
public enum ServerTime {
    /// Milliseconds since 1970 as the `time` tag writes them.
    public static func format(millis: Int64) -> String {
        let seconds = millis >= 0 ? millis / 1000 : (millis - 999) / 1000
        let fraction = millis - seconds * 1000
        let civil = CivilTime(unixSeconds: seconds)
        let digits = String(fraction)
        return String(civil.iso8601.dropLast()) + "." + String(repeating: "0", count: 3 - digits.count) + digits + "Z"
    }

    /// Reads "YYYY-MM-DDThh:mm:ss[.fff…]Z" (the fraction may have any number of
    /// digits; only milliseconds are kept); nil for anything else.
    public static func parse(_ text: some StringProtocol) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                let digit = bytes[index]
                guard digit >= 0x30 && digit <= 0x39 else { return nil }
                value = value * 10 + Int64(digit - 0x30)
            }
            return value
        }
        guard bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: "T"),
              bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
              let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        var millis: Int64 = 0
        if bytes.count > 20 {
            // A fraction of 1 to 9 digits; the first three are the milliseconds.
            let digits = bytes.count - 21
            guard bytes[19] == UInt8(ascii: "."), (1...9).contains(digits), number(20..<(bytes.count - 1)) != nil,
                  let head = number(20..<(20 + min(digits, 3))) else { return nil }
            millis = head * [100, 10, 1][min(digits, 3) - 1]
        }
        // Days from civil (Howard Hinnant's algorithm).
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return ((days * 86400 + hour * 3600 + minute * 60 + second) * 1000) + millis
    }
}
