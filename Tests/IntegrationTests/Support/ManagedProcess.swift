import Foundation
import Synchronization

/// A process started by a test: output captured, stopped by PID (SIGTERM, then SIGKILL) when done.
final class ManagedProcess: Sendable {
    let process: Process
    private let output = LockedData()

    init(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        self.process = process
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in output.append(handle.availableData) }
        try process.run()
    }

    var text: String { output.text }

    /// Waits until the output contains `marker`; throws with the output so far on timeout or exit.
    func waitFor(_ marker: String, timeout: Duration = .seconds(20)) throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if text.contains(marker) { return }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw TestFailure("\(process.executableURL!.lastPathComponent) did not print \"\(marker)\": \(text)")
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        for _ in 0..<200 where process.isRunning { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let collectedOut = LockedData(), collectedErr = LockedData()
    out.fileHandleForReading.readabilityHandler = { handle in collectedOut.append(handle.availableData) }
    err.fileHandleForReading.readabilityHandler = { handle in collectedErr.append(handle.availableData) }
    try process.run()
    let deadline = ContinuousClock.now + timeout
    while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.005) }
    if process.isRunning {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw TestFailure("\(executable) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
    }
    process.waitUntilExit()
    out.fileHandleForReading.readabilityHandler = nil
    err.fileHandleForReading.readabilityHandler = nil
    collectedOut.append(out.fileHandleForReading.readDataToEndOfFile())
    collectedErr.append(err.fileHandleForReading.readDataToEndOfFile())
    return CommandResult(status: process.terminationStatus, stdout: collectedOut.text, stderr: collectedErr.text)
}

/// Bytes appended from a pipe's reader thread and read by the test.
final class LockedData: Sendable {
    private let data = Mutex(Data())
    func append(_ chunk: Data) { data.withLock { $0.append(chunk) } }
    var text: String { data.withLock { String(decoding: $0, as: UTF8.self) } }
}
