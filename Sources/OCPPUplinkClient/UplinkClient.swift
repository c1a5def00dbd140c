import Authorization
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import OCPP
import StorageModel
import OCPPServer
import OCPPUplink
import ServiceSupport
import Synchronization

/// One forwarded charger's WebSocket client toward its CPO backend (subprotocol `ocpp1.6`, basic
/// auth, TLS for wss://): it feeds the pure `UplinkMachine` the backend's messages, the charger's
/// status every second and the time, and carries out what it decides. Reconnects with a bounded,
/// jittered backoff. Everything runs on one event loop of the shared NIO group.
public final class UplinkClient: Sendable {
    public let chargerId: String
    public let endpoint: UplinkEndpoint
    let host: any UplinkHost
    let logger: Logger
    let loop: any EventLoop
    let machine: Mutex<UplinkMachine>
    private let clock = MonotonicSeconds()
    private let log = Coalescer(interval: 60)

    struct Link {
        var channel: (any Channel)?
        var attempt = 0
        var stopped = false
        var timer: RepeatedTask?
        var shown = UplinkState()
        var firstShown = false
    }
    private let link = Mutex(Link())
    /// Replies waiting for the backend's answer about a tag, by ticket.
    private let replies = Mutex<(next: Int, waiting: [Int: @Sendable (BackendAnswer) -> Void])>((0, [:]))

    public init(chargerId: String, endpoint: UplinkEndpoint, machine: UplinkMachine, host: any UplinkHost, logger: Logger,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.chargerId = chargerId
        self.endpoint = endpoint
        self.host = host
        self.logger = logger
        self.machine = Mutex(machine)
        loop = group.next()
    }

    var now: Double { clock.now }

    public func start() {
        loop.execute { [self] in
            let timer = loop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(1)) { [self] _ in tick() }
            link.withLock { $0.timer = timer }
            connect()
        }
    }

    /// Closes the connection; the journal stays in the database for the next start.
    public func stop() {
        let (channel, timer) = link.withLock { link in
            link.stopped = true
            defer { link.channel = nil; link.timer = nil }
            return (link.channel, link.timer)
        }
        timer?.cancel()
        channel?.close(promise: nil)
    }

    // MARK: - The machine

    /// Asks the backend about a tag presented at the charger (Authorize); `reply` is called once,
    /// on the uplink's event loop: with the backend's answer, or `.unreachable` when the uplink is
    /// down or no answer came within `seconds`.
    public func ask(tag: String, within seconds: Double, reply: @escaping @Sendable (BackendAnswer) -> Void) {
        let ticket = replies.withLock { replies in
            replies.next += 1
            replies.waiting[replies.next] = reply
            return replies.next
        }
        loop.execute { [self] in
            carryOut(machine.withLock { $0.ask(tag: tag, ticket: ticket, now: now) })
            loop.scheduleTask(in: .milliseconds(Int64(seconds * 1000))) { [self] in answer(ticket, .unreachable) }
        }
    }

    private func answer(_ ticket: Int, _ answer: BackendAnswer) {
        replies.withLock { $0.waiting.removeValue(forKey: ticket) }?(answer)
    }

    func tick() {
        let status = host.uplinkStatus()
        let wall = Date()
        let output = machine.withLock { $0.tick(status: status, now: now, wall: wall) }
        carryOut(output)
    }

    func received(_ text: String) {
        let wall = Date()
        let output = machine.withLock { $0.received(text, now: now, wall: wall) }
        carryOut(output)
        tick()   // what the backend asked (a remote start) reaches the charger now, not at the next second
    }

    func carryOut(_ output: UplinkMachine.Output) {
        if !output.frames.isEmpty, let channel = link.withLock({ $0.channel }) {
            for frame in output.frames { Self.send(frame.text, on: channel) }
        }
        if !output.store.isEmpty { host.uplinkStore(output.store) }
        output.commands.forEach(host.uplinkCommand)
        for tagAnswer in output.tagAnswers { answer(tagAnswer.ticket, tagAnswer.answer) }
        for line in output.logs { emit(line.level, line.message) }
        let state = machine.withLock { machine in
            var state = UplinkState()
            state.connected = machine.connected
            state.booted = machine.booted
            state.queued = machine.queued
            state.cap = machine.cap(wall: Date())
            return state
        }
        let (changed, capChanged, booted) = link.withLock { link -> (Bool, Bool, Bool) in
            defer { link.shown = state; link.firstShown = true }
            let booted = state.booted && !link.shown.booted
            if booted { link.attempt = 0 }
            return (link.shown != state || !link.firstShown, link.shown.cap != state.cap || !link.firstShown, booted)
        }
        if booted { logger.notice("uplink to \(endpoint.url) up", metadata: ["charger": "\(chargerId)"]) }
        if capChanged { host.uplinkCap(state.cap) }
        if changed { host.uplinkState(state) }
    }

    /// One line per kind of message and minute, with the count held back.
    func emit(_ level: UplinkMachine.Log.Level, _ message: String) {
        let key = String(message.filter { !$0.isNumber }.prefix(60))
        guard let held = log.admit(key) else { return }
        let text = held > 0 ? "\(message) (and \(held) like it in the last minute)" : message
        let metadata: Logger.Metadata = ["charger": "\(chargerId)"]
        switch level {
        case .info: logger.info("uplink: \(text)", metadata: metadata)
        case .notice: logger.notice("uplink: \(text)", metadata: metadata)
        case .warning: logger.warning("uplink: \(text)", metadata: metadata)
        }
    }

    // MARK: - The connection

    func connect() {
        guard !link.withLock({ $0.stopped }) else { return }
        let tls: NIOSSLContext?
        do {
            tls = try endpoint.tls ? Self.tlsContext(caFile: endpoint.caFile) : nil
        } catch {
            emit(.warning, "TLS set-up for \(endpoint.url) failed: \(error)")
            return reconnectLater()
        }
        let endpoint = endpoint
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // an IP address is no server name (RFC 6066): no SNI, and the certificate is checked against the address
                        let isAddress = (try? SocketAddress(ipAddress: endpoint.host, port: 0)) != nil
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: isAddress ? nil : endpoint.host))
                    }
                    let request = UpgradeRequestHandler(endpoint: endpoint) { [self] refusal in emit(.warning, refusal) }
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 20) { [self] channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let messages = WebSocketMessageHandler(maxMessageBytes: 1 << 20, masked: true, received: { [self] in received($0) }, closed: {})
                            try channel.pipeline.syncOperations.addHandler(messages)
                            opened()
                        }
                    }
                    let loopBound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                    let upgrade: NIOHTTPClientUpgradeSendableConfiguration = (upgraders: [upgrader], completionHandler: { context in
                        context.pipeline.syncOperations.removeHandler(loopBound.value, promise: nil)
                    })
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(withClientUpgrade: upgrade)
                    try channel.pipeline.syncOperations.addHandler(request)
                }
            }
        bootstrap.connect(host: endpoint.host, port: endpoint.port).whenComplete { [self] result in
            switch result {
            case .failure(let error):
                emit(.warning, "cannot reach \(endpoint.url): \(error)")
                reconnectLater()
            case .success(let channel):
                let keep = link.withLock { link in
                    guard !link.stopped else { return false }
                    link.channel = channel
                    return true
                }
                if !keep { channel.close(promise: nil) }
                channel.closeFuture.whenComplete { [self] _ in closed(channel) }
            }
        }
    }

    /// The upgrade succeeded: the machine boots.
    func opened() {
        carryOut(machine.withLock { $0.connected(now: now) })
        tick()   // the BootNotification goes now
    }

    func closed(_ channel: any Channel) {
        let wasOurs = link.withLock { link in
            guard link.channel === channel else { return false }
            link.channel = nil
            return true
        }
        guard wasOurs else { return }
        let wasBooted = machine.withLock { machine in
            defer { machine.disconnected(wall: Date()) }
            return machine.booted
        }
        if wasBooted { emit(.warning, "uplink to \(endpoint.url) lost; transaction messages are kept until it is back") }
        carryOut(UplinkMachine.Output())
        reconnectLater()
    }

    /// 1, 2, 4 … 60 s, each ±25 % so a hundred chargers do not all knock at once.
    func reconnectLater() {
        let delay = link.withLock { link -> Double? in
            guard !link.stopped else { return nil }
            link.attempt += 1
            return min(60, pow(2, Double(min(link.attempt, 7) - 1))) * Double.random(in: 0.75...1.25)
        }
        guard let delay else { return }
        loop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) { [self] in connect() }
    }

    static func send(_ text: String, on channel: any Channel) {
        let buffer = channel.allocator.buffer(string: text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: buffer), promise: nil)
    }

    static func tlsContext(caFile: String?) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile { configuration.trustRoots = .file(caFile) }
        return try NIOSSLContext(configuration: configuration)
    }
}
