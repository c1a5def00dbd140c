import Foundation
import Synchronization

/// A process started by a test: output captured, stopped by PID (SIGTERM, then SIGKILL) when done.
final class ManagedProcess: Sendable {
    let child: ChildProcess
    let name: String
    private let output = LockedData()
    /// Signalled when the process's output has been read to its end.
    private let drained: DispatchSemaphore
    private let outputEnded = Atomic<Bool>(false)

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let pipe = try CapturedPipe()
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        child = try ChildProcess(executable, arguments, environment: env, stdout: pipe.writeEnd, stderr: pipe.writeEnd)
        name = URL(fileURLWithPath: executable).lastPathComponent
        drained = pipe.drain(into: output)
    }

    /// What it printed; once it has exited, all of it (its last lines may still be in the pipe).
    var text: String {
        if !child.isRunning { waitForOutputEnd() }
        return output.text
    }

    /// Waits (at most 5 s, once) until the output of an exited process is read to its end.
    private func waitForOutputEnd() {
        guard !outputEnded.load(ordering: .acquiring) else { return }
        _ = drained.wait(timeout: .now() + 5)
        outputEnded.store(true, ordering: .releasing)
    }
    var pid: pid_t { child.pid }
    var isRunning: Bool { child.isRunning }

    /// Waits until the output contains `marker`; throws with the output so far on timeout or exit.
    func waitFor(_ marker: String, timeout: Duration = .seconds(20)) throws {
        let deadline = ContinuousClock.now + TestEnvironment.generous(timeout)
        while ContinuousClock.now < deadline {
            if text.contains(marker) { return }
            if !child.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("\(name) did not print \"\(marker)\": \(text)")
    }

    func stop() {
        guard child.isRunning else { return }
        child.signal(SIGTERM)
        for _ in 0..<200 where child.isRunning { Thread.sleep(forTimeInterval: 0.01) }
        child.signal(SIGKILL)
        child.waitUntilExit()
    }

    deinit { stop() }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The outcome of a command run to completion.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs a command with a time limit (the command is killed if it overruns).
func runCommand(_ executable: String, _ arguments: [String], timeout: Duration = .seconds(30)) throws -> CommandResult {
    let out = try CapturedPipe(), err = try CapturedPipe()
    let child = try ChildProcess(executable, arguments, environment: ProcessInfo.processInfo.environment,
                                 stdout: out.writeEnd, stderr: err.writeEnd)
    let collectedOut = LockedData(), collectedErr = LockedData()
    let outDone = out.drain(into: collectedOut), errDone = err.drain(into: collectedErr)
    let deadline = ContinuousClock.now + TestEnvironment.generous(timeout)
    while child.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
    if child.isRunning {
        child.signal(SIGKILL)
        child.waitUntilExit()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    // a grandchild may still hold the pipes; do not wait for it forever
    _ = outDone.wait(timeout: .now() + 5)
    _ = errDone.wait(timeout: .now() + 5)
    return CommandResult(status: child.terminationStatus ?? -1, stdout: collectedOut.text, stderr: collectedErr.text)
}

/// Bytes appended from a pipe's reader thread and read by the test.
final class LockedData: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
