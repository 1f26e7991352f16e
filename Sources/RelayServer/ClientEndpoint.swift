/// Where the pure server core sends a client's lines: the host's connection.
///
/// The core never touches a socket. It hands each endpoint complete lines
/// (CRLF included); a broadcast hands the same bytes to every recipient.
public protocol ClientEndpoint: AnyObject {
    /// Queues one line for the client.
    func send(_ line: [UInt8])
    /// Closes the connection once what was queued has been written (bounded in time).
    func close()
}
