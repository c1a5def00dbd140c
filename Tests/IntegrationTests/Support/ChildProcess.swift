import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child started with `posix_spawn` and reaped with `waitpid`.
///
/// Foundation's `Process` on Linux learns that a child exited when a socket the child inherited
/// closes. A child spawned at the same moment by another test can inherit that socket too, and
/// then the exit goes unseen until that other child ends (swift-corelibs-foundation issue 4795):
/// a one-second `mbpoll` looked like it ran for 30 s. `waitpid` has no such blind spot.
final class ChildProcess: Sendable {
    let pid: pid_t
    private let exitStatus = Mutex<Int32?>(nil)

    /// Starts `executable` with `stdout` and `stderr` as its fd 1 and fd 2, and /dev/null as stdin.
    init(_ executable: String, _ arguments: [String], environment: [String: String], stdout: Int32, stderr: Int32) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, executable, &actions, nil, argv, envp)
        guard result == 0 else { throw TestFailure("cannot start \(executable): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// Reaps the child if it has ended; never blocks.
    var isRunning: Bool {
        exitStatus.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid { status = Self.decode(raw) }
            return status == nil
        }
    }

    /// The exit code, or 128 + signal for a child killed by a signal; nil while it runs.
    var terminationStatus: Int32? { _ = isRunning; return exitStatus.withLock { $0 } }

    func signal(_ signal: Int32) { if isRunning { kill(pid, signal) } }

    func waitUntilExit() { while isRunning { usleep(2_000) } }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }
}

/// A one-way channel whose read end a thread drains into `LockedData` until end of file. A socket
/// pair, because it can be created close-on-exec in one step (`pipe2` is not visible to Swift here),
/// so no child spawned meanwhile by another test inherits it.
struct CapturedPipe {
    let writeEnd: Int32
    private let readEnd: Int32

    init() throws {
        var fds: [Int32] = [0, 0]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &fds) == 0 else { throw TestFailure("socketpair: \(String(cString: strerror(errno)))") }
        readEnd = fds[0]
        writeEnd = fds[1]
    }

    /// Closes the parent's write end (the child holds its own) and drains the read end in the background.
    /// Returns a semaphore signalled at end of file.
    func drain(into data: LockedData) -> DispatchSemaphore {
        close(writeEnd)
        let done = DispatchSemaphore(value: 0)
        let fd = readEnd
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 { data.append(Data(buffer[0..<count])); continue }
                if count < 0, errno == EINTR { continue }
                break
            }
            close(fd)
            done.signal()
        }
        return done
    }
}
