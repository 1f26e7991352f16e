import COpenSSL

/// Message authentication for webhooks (GitHub's X-Hub-Signature-256).
public enum HMAC {
    /// HMAC-SHA256 of `message` under `key` (32 bytes).
    public static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 32
        key.withUnsafeBufferPointer { keyBytes in
            message.withUnsafeBufferPointer { messageBytes in
                _ = COpenSSL.HMAC(EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                                  messageBytes.baseAddress, messageBytes.count, &out, &length)
            }
        }
        return out
    }
}
