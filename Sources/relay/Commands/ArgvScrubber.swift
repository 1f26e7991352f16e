/// A password in an `irc://nick:password@host` argument is visible to every
/// user of the machine in `ps` and /proc/PID/cmdline. After Swift has copied
/// the arguments, the password's bytes in the process's own argv are
/// overwritten with `*` (the kernel shows that memory), as MySQL's and
/// PostgreSQL's clients do. A password file is still better: for the moments
/// before this runs, and for the shell's history.
enum ArgvScrubber {
    static func hidePasswordsInURLs() {
        for index in 1..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let length = strlen(argument)
            let bytes = UnsafeMutableBufferPointer(start: UnsafeMutableRawPointer(argument).assumingMemoryBound(to: UInt8.self),
                                                   count: length)
            if let range = passwordRange(in: bytes) {
                for offset in range { bytes[offset] = UInt8(ascii: "*") }
            }
        }
    }

    /// Where the password of `scheme://user:password@host...` lies, if there is one.
    static func passwordRange<C: Collection>(in bytes: C) -> Range<Int>? where C.Element == UInt8, C.Index == Int {
        let text = Array(bytes)
        guard let schemeEnd = find(Array("://".utf8), in: text) else { return nil }
        let authorityStart = schemeEnd + 3
        let authorityEnd = text[authorityStart...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? text.count
        guard let at = text[authorityStart..<authorityEnd].lastIndex(of: UInt8(ascii: "@")),
              let colon = text[authorityStart..<at].firstIndex(of: UInt8(ascii: ":")), colon + 1 < at else { return nil }
        return (colon + 1)..<at
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        return (0...(haystack.count - needle.count)).first { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
