import RelayClient
import RelayIRC
import RelayServer
#if canImport(Glibc)
import Glibc
#endif

/// The operator's log on stderr (so journald keeps it): `--log-level` and
/// `--log-format text|json`. Text lines read `relay: info registered client=3
/// host=127.0.0.1 nick=ana dialect=irc`; JSON lines are one object each with
/// `time`, `level`, `event` and the event's fields.
///
/// Not swift-log: its stock StreamLogHandler writes its own prefix (a timestamp,
/// the label, the level) where DESIGN.md fixes stderr lines as "relay: ...", and
/// JSON needs a handler of our own either way; the formatting is these 30 lines.
struct OperatorLog {
    enum Format: String, CaseIterable { case text, json }

    var level: ServerLogEvent.Level = .info
    var format: Format = .text

    func write(_ event: ServerLogEvent) {
        guard event.level <= level else { return }
        Diagnostics.write(line(for: event))
    }

    /// The event as one line of this log's format.
    func line(for event: ServerLogEvent) -> String {
        switch format {
        case .text:
            return "relay: \(event.level.name) \(event.text)"
        case .json:
            let fields = [("time", CivilTime(unixSeconds: Int64(time(nil))).iso8601), ("level", event.level.name), ("event", event.event)]
                + event.fields.map { ($0.key, $0.value) }
            return JSONWriter.object(fields)
        }
    }
}
