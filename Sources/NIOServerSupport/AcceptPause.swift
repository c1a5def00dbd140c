#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore

/// Pauses a server channel's accepts for a second at a time while the process is out of file
/// descriptors (or socket memory). A connection waiting in the backlog keeps the listening socket
/// readable, and NIO keeps its read pending after a failed `accept()`, so without a pause the
/// event loop retries at once, forever: a core spent on nothing (NIO's own `AcceptBackoffHandler`
/// only delays the *next* read, which never comes). Logged once, then at most once a minute.
public final class AcceptPause: ChannelInboundHandler {
    public typealias InboundIn = Channel

    static let pause = TimeAmount.seconds(1)
    private static let logEvery = TimeAmount.seconds(60)
    private let logger: Logger
    private let what: String
    private var paused = false
    private var lastLogged: NIODeadline?
    private var failures = 0

    /// - Parameter what: the server as the log names it ("HTTP endpoint").
    public init(logger: Logger, what: String) {
        self.logger = logger
        self.what = what
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let error = error as? IOError, [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode) else {
            return context.fireErrorCaught(error)
        }
        failures += 1
        let now = NIODeadline.now()
        if lastLogged.map({ now - $0 >= Self.logEvery }) ?? true {
            let more = failures > 1 ? "; \(failures) failed accepts since the last such line" : ""
            logger.error("\(what) cannot accept connections: \(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode)); retrying every second\(more)")
            lastLogged = now
            failures = 0
        }
        guard !paused else { return }
        paused = true
        // autoRead off takes the socket out of the poll set (a pending read alone would not);
        // back on, the pending read is registered again
        let channel = context.channel
        channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in }
        context.eventLoop.assumeIsolated().scheduleTask(in: Self.pause) {
            self.paused = false
            channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        }
    }

    /// Puts a pause first in a server channel that already runs (Hummingbird's `onServerRunning`:
    /// it has no hook for the server channel's handlers before that).
    public static func install(on channel: any Channel, logger: Logger, what: String) async {
        try? await channel.eventLoop.submit {
            try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger, what: what), position: .first)
        }.get()
    }
}
