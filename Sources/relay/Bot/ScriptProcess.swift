import RelayLoop
#if canImport(Glibc)
import Glibc
#endif

/// A bot script running beside the loop: a coprocess or one handler run.
///
/// Its stdout lines and its exit reach the owner as callbacks; its stderr goes
/// to relay's stderr prefixed with its name. It is finished once it has exited
/// and its stdout and stderr are at EOF (so its last words are never lost), or
/// shortly after it exited if a grandchild still holds a pipe open (a
/// backgrounded job must not keep the reply waiting). Then what is left of its
/// process group is killed: a handler's `sleep 300 &` does not outlive it.
/// Its environment never holds relay's secrets (RELAY_PASSWORD and the like).
final class ScriptProcess {
    let name: String
    let child: ChildProcess
    let input: PipeWriter
    private var output: PipeReader?
    private var errors: PipeReader?
    private unowned let loop: EventLoop
    private var exitStatus: Int32?
    private var finished = false
    private var killTimer: TimerID?
    private let onLine: (String) -> Void
    private let onFinished: (Int32) -> Void

    init(name: String, command: String, environment: [String: String] = [:], loop: EventLoop, reaper: ChildReaper,
         inputLimit: Int, onLine: @escaping (String) -> Void, onFinished: @escaping (Int32) -> Void) throws {
        self.name = name
        self.loop = loop
        self.onLine = onLine
        self.onFinished = onFinished
        child = try ChildProcess.spawn(shellCommand: command, environment: environment, removing: Secrets.environmentVariables)
        input = try PipeWriter(fd: child.stdin, loop: loop, limit: inputLimit)
        output = try PipeReader(fd: child.stdout, loop: loop, onFrame: { [weak self] frame in
            guard let self else { return }
            switch frame {
            case .line(let bytes): self.onLine(String(decoding: bytes, as: UTF8.self))
            case .tooLong(let length): Diagnostics.say("\(self.name): printed a line of \(length) bytes; dropped it")
            }
        }, onEnd: { [weak self] failure in
            guard let self else { return }
            if let failure { Diagnostics.say("\(self.name): its stdout: \(failure)") }
            self.finishIfDone()
        })
        errors = try PipeReader(fd: child.stderr, loop: loop, onFrame: { [weak self] frame in
            guard let self, case .line(let bytes) = frame else { return }
            Diagnostics.say("\(self.name): " + String(decoding: bytes, as: UTF8.self))
        }, onEnd: { [weak self] failure in
            guard let self else { return }
            if let failure { Diagnostics.say("\(self.name): its stderr: \(failure)") }
            self.finishIfDone()
        })
        reaper.watch(child.pid) { [weak self] status in self?.exited(status) }
    }

    var pid: pid_t { child.pid }
    var hasExited: Bool { exitStatus != nil }

    /// Stops reading its stdout for a while (the script blocks once the pipe is full).
    func pauseOutput() { output?.pause() }
    func resumeOutput() { output?.resume() }

    private func exited(_ status: Int32) {
        exitStatus = status
        if output?.isOpen != true && errors?.isOpen != true { return finishIfDone() }
        // Its pipes may still hold lines, or a grandchild may hold them open:
        // read what is there, then stop waiting.
        loop.schedule(after: .milliseconds(200)) { [weak self] in
            guard let self else { return }
            output?.drain()
            errors?.drain()
            output?.close()
            errors?.close()
            finishIfDone()
        }
    }

    private func finishIfDone() {
        guard !finished, let exitStatus, output?.isOpen != true, errors?.isOpen != true else { return }
        finished = true
        output = nil
        errors = nil
        input.close()
        child.signalGroup(SIGKILL)  // whatever it left running in its group
        onFinished(exitStatus)
    }

    /// SIGTERM to its process group, then SIGKILL to what is left of the group
    /// after `grace` (`sh -c` may have forked: its own exit is not the group's).
    func terminate(grace: Duration = .seconds(1)) {
        child.signalGroup(SIGTERM)
        if killTimer != nil { return }
        let child = self.child
        killTimer = loop.schedule(after: grace) { child.signalGroup(SIGKILL) }
    }

    /// Ends what is left of its process group now (relay is exiting).
    func kill() {
        child.signalGroup(SIGKILL)
    }
}
