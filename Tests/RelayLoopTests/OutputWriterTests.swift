import Foundation
import Glibc
@testable import RelayLoop
import XCTest

/// Stdout for a reader that may stop reading: the loop never waits on it,
/// nothing is dropped, and the owner hears when to stop and start producing.
final class OutputWriterTests: XCTestCase {
    private var fds: [Int32] = [-1, -1]

    override func setUpWithError() throws {
        XCTAssertEqual(pipe(&fds), 0)
    }

    override func tearDown() {
        OutputWriter.restoreFlags()
        for fd in fds where fd >= 0 { close(fd) }
    }

    private func readAvailable(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while poll(&ready, 1, 0) > 0 {
            let count = read(fd, &buffer, buffer.count)
            if count <= 0 { break }
            out += buffer[0..<count]
        }
        return out
    }

    func testAReaderThatStopsReadingNeitherBlocksTheWriterNorLosesALine() throws {
        let loop = try EventLoop.makeDefault()
        let writer = OutputWriter(fd: fds[1], loop: loop, behindAt: 8 * 1024)
        var drained = 0
        var behind = 0
        writer.onDrained = { drained += 1 }
        writer.onBehind = { behind += 1 }
        let line = String(repeating: "x", count: 99)
        var lines = 0
        // A pipe holds 64 KiB: this is more, and write() returns every time.
        while !writer.isBehind || lines < 2000 {
            XCTAssertNil(writer.write(line: line + "\(lines)"))
            lines += 1
        }
        XCTAssertTrue(writer.isBehind)
        XCTAssertGreaterThan(writer.pendingByteCount, 0)
        try loop.runOnce(maximumWait: .milliseconds(20))  // the loop still turns
        XCTAssertEqual(drained, 0)
        XCTAssertGreaterThan(behind, 0, "the owner was told to stop producing")

        var received: [UInt8] = []
        let end = ContinuousClock.now + .seconds(5)
        while writer.pendingByteCount > 0 && ContinuousClock.now < end {
            received += readAvailable(fds[0])
            try loop.runOnce(maximumWait: .milliseconds(10))
        }
        received += readAvailable(fds[0])
        XCTAssertEqual(drained, 1, "told once, when everything waiting was written")
        let text = String(decoding: received, as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(text.count, lines)
        XCTAssertEqual(text.first.map(String.init), line + "0")
        XCTAssertEqual(text.last.map(String.init), line + "\(lines - 1)", "every line, in order")
    }

    func testLinesOfOneTurnAreWrittenTogetherAtItsEnd() throws {
        let loop = try EventLoop.makeDefault()
        let writer = OutputWriter(fd: fds[1], loop: loop)
        for number in 1...3 { XCTAssertNil(writer.write(line: "line \(number)")) }
        XCTAssertEqual(readAvailable(fds[0]), [], "nothing yet: one write for the turn")
        try loop.runOnce(maximumWait: .milliseconds(10))
        XCTAssertEqual(String(decoding: readAvailable(fds[0]), as: UTF8.self), "line 1\nline 2\nline 3\n")
    }

    func testAReaderThatGoesAwayIsAFailureEvenWithNothingToWrite() throws {
        let loop = try EventLoop.makeDefault()
        let writer = OutputWriter(fd: fds[1], loop: loop)
        var failures: [String] = []
        writer.onFailure = { failures.append($0) }
        XCTAssertNil(writer.write(line: "read this"))
        try loop.runOnce(maximumWait: .milliseconds(10))
        XCTAssertEqual(writer.pendingByteCount, 0, "written: nothing is left to write")
        close(fds[0])
        fds[0] = -1
        try loop.runOnce(maximumWait: .milliseconds(50))
        XCTAssertEqual(failures, ["Broken pipe"])
        XCTAssertEqual(writer.write(line: "and this?"), "Broken pipe", "once failed, it stays failed")
    }

    func testStderrSharingANonBlockingPipeWaitsInsteadOfLosingALine() throws {
        // Under 2>&1 stderr is stdout's open file, made non-blocking: a diagnostic
        // written while the pipe is full must wait for the reader, not fail.
        let loop = try EventLoop.makeDefault()
        _ = OutputWriter(fd: fds[1], loop: loop)
        let filler = [UInt8](repeating: 46, count: 4096)
        while write(fds[1], filler, filler.count) > 0 {}
        XCTAssertEqual(errno, EAGAIN, "the pipe is full")
        let reader = fds[0]
        let done = DispatchSemaphore(value: 0)
        Thread {
            usleep(100_000)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while read(reader, &buffer, buffer.count) > 0 {}
            done.signal()
        }.start()
        XCTAssertEqual(OutputWriter.writeAll(fds[1], Array("relay: a warning\n".utf8)), 0)
        close(fds[1])
        fds[1] = -1
        done.wait()
    }

    func testThePipesFlagsArePutBackForWhoeverSharesIt() throws {
        let loop = try EventLoop.makeDefault()
        let before = fcntl(fds[1], F_GETFL)
        _ = OutputWriter(fd: fds[1], loop: loop)
        XCTAssertNotEqual(fcntl(fds[1], F_GETFL) & O_NONBLOCK, 0)
        OutputWriter.restoreFlags()
        XCTAssertEqual(fcntl(fds[1], F_GETFL), before)
    }

    func testAFileIsWrittenAsItIsGiven() throws {
        let loop = try EventLoop.makeDefault()
        var path = Array("/tmp/relay-output-XXXXXX".utf8CString)
        let fd = mkstemp(&path)
        defer { close(fd); unlink(path) }
        let writer = OutputWriter(fd: fd, loop: loop)
        XCTAssertNil(writer.write(line: "one"))
        XCTAssertNil(writer.write(line: "two"))
        XCTAssertEqual(writer.pendingByteCount, 0)
        XCTAssertEqual(fcntl(fd, F_GETFL) & O_NONBLOCK, 0, "a file's flags are left alone")
        var buffer = [UInt8](repeating: 0, count: 64)
        XCTAssertEqual(pread(fd, &buffer, 64, 0), 8)
        XCTAssertEqual(String(decoding: buffer[0..<8], as: UTF8.self), "one\ntwo\n")
    }

    func testWithTheFullDiskAWriteSaysSo() throws {
        let loop = try EventLoop.makeDefault()
        let fd = open("/dev/full", O_WRONLY)
        try XCTSkipIf(fd < 0, "no /dev/full")
        defer { close(fd) }
        let writer = OutputWriter(fd: fd, loop: loop)
        XCTAssertEqual(writer.write(line: "lost?"), "No space left on device")
    }
}
