import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// Secrets come from files or the environment, never from argv (where `ps` shows them).
enum Secrets {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Every environment variable relay takes a secret from: a script relay
    /// starts never sees them (`!env` would post them in the room).
    static var environmentVariables: [String] {
        var names = ["RELAY_PASSWORD", "RELAY_SASL_PASSWORD", "RELAY_OPER_PASSWORD", "RELAY_NICKSERV_PASSWORD"]
        var cursor = environ
        while let entry = cursor.pointee {
            let name = String(cString: entry).prefix { $0 != "=" }
            // Any other RELAY_*PASSWORD* or *_TOKEN a wrapper may have set for us.
            if name.hasPrefix("RELAY_") && (name.contains("PASSWORD") || name.hasSuffix("_TOKEN") || name.contains("SECRET")) {
                names.append(String(name))
            }
            cursor += 1
        }
        return names
    }

    /// The whole file, without its trailing newline.
    static func contents(of path: String) throws -> String {
        guard let file = fopen(path, "r") else {
            throw Failure(description: "\(path): \(String(cString: strerror(lastErrorCode())))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes += chunk[..<count]
        }
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
        return text
    }

    static func lines(of path: String) throws -> [String] {
        try contents(of: path).split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0.hasSuffix("\r") ? $0.dropLast() : $0)
        }
    }

    /// Says on stderr when a file holding a secret (a password, a private key)
    /// can be read by its group or by everyone: anyone on the machine has it then.
    static func warnIfExposed(_ path: String) {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return }
        let mode = String(info.st_mode & 0o777, radix: 8)
        Diagnostics.warn("\(path) holds a secret and is readable by others (mode \(mode)); chmod 600 \(path)")
    }

    /// A secret from `file` if given, else from the environment variable; nil if neither.
    static func read(file: String?, environment: String) throws -> String? {
        if let file {
            warnIfExposed(file)
            let secret = try contents(of: file)
            if secret.isEmpty { throw Failure(description: "\(file): the file is empty") }
            return secret
        }
        if let value = getenv(environment), value.pointee != 0 { return String(cString: value) }
        return nil
    }

    /// Each operator's password: "NAME PASSWORD" lines, or one password for all.
    static func operatorPasswords(names: [String], file: String?, environment: String) throws -> [String: String] {
        var shared: String?
        var byName: [String: String] = [:]
        if let file {
            warnIfExposed(file)
            let lines = try lines(of: file).filter { !$0.isEmpty }
            if lines.count == 1 && !lines[0].contains(" ") {
                shared = lines[0]
            } else {
                for line in lines {
                    let parts = line.split(separator: " ", maxSplits: 1)
                    if parts.count == 2 { byName[String(parts[0])] = String(parts[1]) }
                }
            }
        } else if let value = getenv(environment), value.pointee != 0 {
            shared = String(cString: value)
        }
        var result: [String: String] = [:]
        for name in names {
            guard let password = byName[name] ?? shared else {
                throw Failure(description: "no password for operator \(name): use --oper-password-file or RELAY_OPER_PASSWORD")
            }
            result[name] = password
        }
        return result
    }
}
