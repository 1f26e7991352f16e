#if canImport(Glibc)
import Glibc
#endif
import RelayLoop

/// The process's open-file limit, raised to what it may be before serving.
enum DescriptorLimit {
    /// Descriptors relay needs besides its clients: listeners, epoll, signalfd,
    /// stdio, the MOTD and certificate files it reads again on SIGHUP.
    static let reserved = 32

    /// Clients the current open-file limit leaves room for.
    static var available: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur != rlim_t.max else { return .max }
        return max(1, Int(clamping: limit.rlim_cur) - reserved)
    }

    /// Raises the soft RLIMIT_NOFILE to the hard one and returns how many
    /// clients that allows: `wanted`, or fewer, said on stderr, when the limit
    /// is lower (the first client past it would otherwise meet EMFILE).
    static func raise(toServe wanted: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return wanted }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        }
        let available = limit.rlim_cur == rlim_t.max ? Int.max : Int(clamping: limit.rlim_cur) - reserved
        guard wanted > available else { return wanted }
        let clamped = max(1, available)
        Diagnostics.say("--max-clients \(wanted) is more than the open-file limit allows (\(limit.rlim_cur)); serving at most \(clamped) clients (raise it with ulimit -n or LimitNOFILE=)")
        return clamped
    }
}
