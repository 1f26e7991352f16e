import COpenSSL

/// Account passwords as PBKDF2-HMAC-SHA256 (OpenSSL), never kept in clear:
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH` (hex). Hashing is slow on purpose
/// (tens of milliseconds): callers run it off the loop.
public enum PasswordHash {
    public static let defaultIterations = 100_000

    /// A new hash of `password` with a fresh random salt.
    public static func make(_ password: String, iterations: Int = defaultIterations) -> String {
        var salt = [UInt8](repeating: 0, count: 16)
        _ = RAND_bytes(&salt, Int32(salt.count))
        let hash = derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(hex(salt))$\(hex(hash))"
    }

    /// Whether `password` is the one `encoded` was made from (compared in constant time).
    public static func verify(_ password: String, against encoded: String) -> Bool {
        let parts = encoded.split(separator: "$")
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
              let salt = bytes(parts[2]), let expected = bytes(parts[3]), expected.count == 32 else { return false }
        let actual = derive(password, salt: salt, iterations: iterations)
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ actual[index] }
        return difference == 0
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        // A C string: never an empty buffer, even for an empty password (its length excludes the NUL).
        password.utf8CString.withUnsafeBufferPointer { chars in
            _ = PKCS5_PBKDF2_HMAC(chars.baseAddress, Int32(chars.count - 1), salt, Int32(salt.count), Int32(iterations), EVP_sha256(),
                                  Int32(out.count), &out)
        }
        return out
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    private static func bytes(_ text: Substring) -> [UInt8]? {
        guard text.utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}
