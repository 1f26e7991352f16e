import RelayClient

/// Prometheus Alertmanager's webhook (and Grafana's, which has the same shape
/// since unified alerting), grouped as Alertmanager groups them: one line for a
/// group's one alert, else a header and a line per alert. Grafana's legacy
/// alerts (`state`, `ruleName`) are one line.
enum AlertEvents {
    static func isAlertmanager(_ payload: JSONValue) -> Bool {
        if case .array? = payload[path: "alerts"] { return true }
        return false
    }

    static func isLegacyGrafana(_ payload: JSONValue) -> Bool {
        payload[path: "ruleName"] != nil && payload[path: "state"] != nil
    }

    static func lines(_ payload: JSONValue) -> WebhookLines {
        if !isAlertmanager(payload) {
            let state = payload.string("state")
            let message = payload.string("message")
            return .say(["[\(state)] \(payload.string("title"))\(message.isEmpty ? "" : ": \(message.firstLine)") \(payload.string("ruleUrl"))"])
        }
        let alerts = payload.array("alerts")
        guard !alerts.isEmpty else { return .ignored("no alerts") }
        let firing = alerts.filter { $0.string("status") == "firing" }.count
        let resolved = alerts.count - firing
        let common = payload.object("commonLabels")
        let name = payload.string("groupLabels.alertname").isEmpty ? payload.string("commonLabels.alertname") : payload.string("groupLabels.alertname")
        if alerts.count == 1 {
            let alert = alerts[0]
            return .say(["[\(alert.string("status").uppercased())] \(alert.string("labels.alertname"))"
                         + labels(alert.object("labels")) + summary(alert)])
        }
        var counts: [String] = []
        if firing > 0 { counts.append("FIRING:\(firing)") }
        if resolved > 0 { counts.append("RESOLVED:\(resolved)") }
        var lines = ["[\(counts.joined(separator: ", "))] \(name)" + labels(common)
                     + (payload.string("commonAnnotations.summary").isEmpty ? "" : ": \(payload.string("commonAnnotations.summary").firstLine)")]
        for alert in alerts {
            let own = alert.object("labels").filter { common[$0.key] == nil }
            lines.append("  \(alert.string("status"))\(labels(own))\(summary(alert))")
        }
        return .say(lines)
    }

    /// " (job=api, instance=a:9100)", sorted, without the alert's name; "" for none.
    private static func labels(_ labels: [String: JSONValue]) -> String {
        let shown = labels.filter { $0.key != "alertname" }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.text ?? "")" }
        return shown.isEmpty ? "" : " (\(shown.joined(separator: ", ")))"
    }

    private static func summary(_ alert: JSONValue) -> String {
        for key in ["annotations.summary", "annotations.description", "annotations.message"] where !alert.string(key).isEmpty {
            return ": " + alert.string(key).firstLine
        }
        return ""
    }
}
