@preconcurrency import CReadline
#if canImport(Glibc)
import Glibc
#endif

/// Input history kept across runs in `$XDG_STATE_HOME/relay/history` (or
/// `~/.local/state/relay/history`), bounded. Each line is appended as it is
/// entered, so two clients running at once both keep theirs (`write_history`
/// would overwrite).
struct HistoryFile {
    let path: String
    static let limit: Int32 = 1000

    static func standard() -> HistoryFile? {
        var base: String
        if let state = getenv("XDG_STATE_HOME"), state.pointee != 0 {
            base = String(cString: state)
        } else if let home = getenv("HOME"), home.pointee != 0 {
            base = String(cString: home) + "/.local/state"
        } else {
            return nil
        }
        base += "/relay"
        var path = ""
        for part in base.split(separator: "/") {
            path += "/" + part
            mkdir(path, 0o700)
        }
        return HistoryFile(path: base + "/history")
    }

    func load() {
        using_history()
        history_truncate_file(path, Self.limit)
        read_history(path)
    }

    func add(_ line: String) {
        add_history(line)
        if access(path, F_OK) != 0 { close(open(path, O_CREAT | O_WRONLY, 0o600)) }
        append_history(1, path)
    }
}
