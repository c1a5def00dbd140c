import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOServerSupport
import NIOSSL
import NIOWebSocket

/// The OCPP central system's WebSocket server (RFC 6455, subprotocols `ocpp1.6` and `ocpp2.0.1`) on SwiftNIO:
/// `ws(s)://host:port/<path>/<chargePointId>`, HTTP basic auth checked at the upgrade (security
/// profile 1; with TLS, profile 2; with a client CA, client certificates for profile 3), frames
/// above `maxFrameBytes` refused with a close.
public final class OCPPServer: Sendable {
    public struct Settings: Sendable {
        public var bind = "127.0.0.1"
        public var port = 9000
        /// The URL path before the charge point id ("ocpp" → /ocpp/CP1).
        public var path = "ocpp"
        /// PEM files for wss:// (security profiles 2 and 3).
        public var tls: (certificate: String, key: String)?
        /// PEM file of the CA whose certificates charge points present (security profile 3; needs `tls`).
        public var clientCA: String?
        public var maxFrameBytes = 65_536
        /// A connection that sends nothing for this long is closed (charge points send heartbeats).
        public var idleTimeoutSeconds = 300
        public var maxConnections = 5_000
        public init() {}
    }

    /// What the server does with an upgrade request.
    public enum Admission: Sendable {
        /// Upgraded with this subprotocol (one the charge point offered).
        case accept(any OCPPConnectionDelegate, subprotocol: String)
        /// 404: no charge point with this id.
        case unknown
        /// 401: wrong or missing password.
        case unauthorized
        /// 403: no client certificate, or one for another charge point (security profile 3).
        case forbidden
        /// 429: too many failed attempts from this address; the credentials were not looked at.
        case tooMany
        /// 400: it offers no subprotocol this charge point may speak.
        case noSubprotocol
    }

    /// The subprotocols the server speaks.
    public static let subprotocols = ["ocpp1.6", "ocpp2.0.1"]

    /// Decides on an upgrade: the charge point id from the URL, the basic-auth password (nil: none
    /// sent), the client certificate TLS verified against the client CA (DER; nil: none), the
    /// subprotocols it offers that the server speaks; `delay`: seconds to wait before answering (a
    /// source that failed before is slowed down).
    public typealias Admit = @Sendable (_ chargePointId: String, _ password: String?, _ certificate: [UInt8]?, _ remote: String, _ offered: [String])
        -> (admission: Admission, delay: Double)

    private let settings: Settings
    private let admit: Admit
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let channel = NIOLockedValueBox<Channel?>(nil)
    private let open = ManagedAtomicCounter()

    public init(settings: Settings, logger: Logger, admit: @escaping Admit) {
        self.settings = settings
        self.admit = admit
        self.logger = logger
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// Binds and serves; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let tlsContext: NIOSSLContext? = try settings.tls.map { files in
            try Self.makeTLSContext(certificate: files.certificate, key: files.key, clientCA: self.settings.clientCA)
        }
        let settings = self.settings, admit = self.admit, open = self.open, logger = self.logger
        let tlsFailures = TLSFailureLog.Lines(logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptPause(logger: logger, what: "OCPP central system"))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard open.increment() <= settings.maxConnections else {
                        open.decrement()
                        throw ChannelError.inputClosed
                    }
                    channel.closeFuture.whenComplete { _ in open.decrement() }
                    let operations = channel.pipeline.syncOperations
                    if let tlsContext {
                        try operations.addHandler(NIOSSLServerHandler(context: tlsContext))
                        try operations.addHandler(TLSFailureLog(lines: tlsFailures))
                    }
                    try operations.addHandler(IdleStateHandler(readTimeout: .seconds(Int64(settings.idleTimeoutSeconds))))
                    try operations.addHandler(IdleCloser())
                    let upgrade = UpgradeDecision()
                    let refusal = RefusalHandler(upgrade: upgrade)
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: settings.maxFrameBytes,
                        automaticErrorHandling: true,
                        shouldUpgrade: { channel, head in
                            let certificate = Self.verifiedClientCertificate(channel, clientCA: settings.clientCA)
                            let (headers, delay) = upgrade.decide(head, path: settings.path, certificate: certificate,
                                                                  remote: channel.remoteAddress?.ipAddress ?? "?", admit: admit)
                            // a delayed answer is a scheduled task: the event loop goes on serving the others
                            let answer = delay > 0
                                ? channel.eventLoop.scheduleTask(in: .nanoseconds(Int64(delay * 1e9))) { headers }.futureResult
                                : channel.eventLoop.makeSucceededFuture(headers)
                            return answer.flatMap { headers in
                                guard let headers else { return channel.eventLoop.makeSucceededFuture(nil) }
                                // after the upgrade only WebSocket frames flow: the HTTP refusal handler goes first
                                return channel.pipeline.removeHandler(refusal).map { headers }
                            }
                        },
                        upgradePipelineHandler: { channel, _ in
                            channel.eventLoop.makeCompletedFuture {
                                guard let (id, delegate, subprotocol) = upgrade.accepted else { throw ChannelError.inputClosed }
                                let connection = OCPPConnection(id: id, subprotocol: subprotocol, channel: channel)
                                try channel.pipeline.syncOperations.addHandler(
                                    WebSocketMessageHandler(connection: connection, delegate: delegate, maxMessageBytes: settings.maxFrameBytes))
                                Self.closeAtExpiry(channel, clientCA: settings.clientCA, id: id, logger: logger)
                                delegate.opened(connection)
                            }
                        })
                    try operations.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try operations.addHandler(refusal)
                }
            }
        let bound = try bootstrap.bind(host: settings.bind, port: settings.port).wait()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress?.port ?? settings.port
    }

    public func stop() {
        let bound = channel.withLockedValue { value in defer { value = nil }; return value }
        try? bound?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

/// A counter of open connections.
final class ManagedAtomicCounter: Sendable {
    private let value = NIOLockedValueBox(0)
    func increment() -> Int { value.withLockedValue { $0 += 1; return $0 } }
    func decrement() { value.withLockedValue { $0 -= 1 } }
}

/// What the upgrade decided for one connection, read by the refusal handler when it refused.
final class UpgradeDecision: Sendable {
    private let state = NIOLockedValueBox<(status: HTTPResponseStatus, accepted: (String, any OCPPConnectionDelegate, String)?)>((.badRequest, nil))

    var accepted: (String, any OCPPConnectionDelegate, String)? { state.withLockedValue { $0.accepted } }
    var refusal: HTTPResponseStatus { state.withLockedValue { $0.status } }

    /// The headers of the upgrade (nil: refused), and the seconds to wait before answering.
    func decide(_ head: HTTPRequestHead, path: String, certificate: [UInt8]?, remote: String, admit: OCPPServer.Admit) -> (HTTPHeaders?, Double) {
        // "?" alone splits into nothing when empty pieces are dropped: keep them, never index past the end
        let target = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let prefix = path.split(separator: "/").map(String.init)
        guard parts.count == prefix.count + 1, Array(parts.prefix(prefix.count)) == prefix,
              let id = parts.last?.removingPercentEncoding, !id.isEmpty, id.count <= 48 else {
            state.withLockedValue { $0.status = .notFound }
            return (nil, 0)
        }
        let offered = head.headers["Sec-WebSocket-Protocol"].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { OCPPServer.subprotocols.contains($0) }
        guard !offered.isEmpty else {
            state.withLockedValue { $0.status = .badRequest }
            return (nil, 0)
        }
        let (admission, delay) = admit(id, Self.password(head.headers, id: id), certificate, remote, offered)
        switch admission {
        case .accept(let delegate, let subprotocol) where offered.contains(subprotocol):
            state.withLockedValue { $0.accepted = (id, delegate, subprotocol) }
            return (HTTPHeaders([("Sec-WebSocket-Protocol", subprotocol)]), delay)
        case .accept, .noSubprotocol:
            state.withLockedValue { $0.status = .badRequest }
        case .unknown:
            state.withLockedValue { $0.status = .notFound }
        case .unauthorized:
            state.withLockedValue { $0.status = .unauthorized }
        case .forbidden:
            state.withLockedValue { $0.status = .forbidden }
        case .tooMany:
            state.withLockedValue { $0.status = .tooManyRequests }
        }
        return (nil, delay)
    }

    /// The basic-auth password, when the user is the charge point id.
    static func password(_ headers: HTTPHeaders, id: String) -> String? {
        guard let value = headers["Authorization"].first, value.lowercased().hasPrefix("basic "),
              let data = Data(base64Encoded: String(value.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":") else { return nil }
        return text[..<colon] == id ? String(text[text.index(after: colon)...]) : nil
    }
}

/// Answers a request that was not upgraded (refused, or not a WebSocket request at all) and closes.
final class RefusalHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let upgrade: UpgradeDecision

    init(upgrade: UpgradeDecision) { self.upgrade = upgrade }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .end = unwrapInboundIn(data) else { return }
        let status = upgrade.refusal
        var headers = HTTPHeaders([("Content-Length", "0"), ("Connection", "close")])
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Basic realm=\"ocpp\"") }
        if status == .tooManyRequests { headers.add(name: "Retry-After", value: "10") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Closes a connection that stayed silent for the idle timeout.
final class IdleCloser: ChannelInboundHandler {
    typealias InboundIn = NIOAny
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }
}

extension SocketAddress {
    var ipAddress: String? { self.ipAddress(fallback: nil) }
    private func ipAddress(fallback: String?) -> String? {
        switch self {
        case .v4(let address): address.host
        case .v6(let address): address.host
        default: fallback
        }
    }
}
