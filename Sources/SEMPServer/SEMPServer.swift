import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOPosix
import NIOServerSupport
import SEMP
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the SEMP face shows and whom it obeys: the service's side of it.
public protocol SEMPBackend: Sendable {
    /// The devices now: a snapshot per request.
    func devices() -> [SEMPDevice]
    /// One DeviceControl from peer (address bytes 4 or 16, and "ip:port" text). The backend decides
    /// (allow_write, validation); returns nil when applied, else a reason (→ HTTP 403 / 400).
    func control(_ control: SEMPControl, peerAddress: [UInt8], peer: String) -> SEMPRefusal?
}

/// Why a control was not applied: `forbidden` (the peer may not steer: HTTP 403) or not valid
/// (an unknown device, say: HTTP 400). The message is the response body.
public struct SEMPRefusal: Sendable, Equatable {
    public var forbidden: Bool
    public var message: String

    public init(forbidden: Bool, message: String) {
        self.forbidden = forbidden
        self.message = message
    }
}

public enum SEMPServerError: Error, Equatable, CustomStringConvertible {
    case alreadyStarted
    case invalidUUID(String)
    /// The HTTP server ended before it was listening.
    case endedBeforeListening
    /// `stop()` came while `start()` was binding.
    case stoppedWhileStarting

    public var description: String {
        switch self {
        case .alreadyStarted: "the SEMP server was started already"
        case .invalidUUID(let uuid): "\"\(uuid)\" is not a UUID (8-4-4-4-12 hex digits)"
        case .endedBeforeListening: "the SEMP HTTP server ended before it was listening"
        case .stoppedWhileStarting: "the SEMP server was stopped while it was starting"
        }
    }
}

/// The SEMP gateway: `GET /uuid:<uuid>/description.xml` (the UPnP device description),
/// `GET /semp/` (`Device2EM`), `POST /semp/` (`EM2Device`), HEAD on the GET routes — over HTTP
/// with Hummingbird; and SSDP: `M-SEARCH` answered unicast on UDP (SwiftNIO).
///
/// SSDP on a loopback host is unicast only (tests). On any other host the socket is bound to every
/// address at the SSDP port so that searches sent to the multicast group arrive; with `multicast`
/// the gateway also joins the group (on the interface holding `host`) and announces itself
/// (`NOTIFY ssdp:alive` now and every 15 minutes, `ssdp:byebye` on stop). Off by default.
public final class SEMPServer: Sendable {
    public static let basePath = "/semp"
    /// Bodies of a POST above this are refused (413) without being read.
    public static let maxBodyBytes = 64 * 1024
    /// Connections served at once.
    public static let maxConnections = 32
    /// A connection that reads nothing for this long is closed, s (the Home Manager polls once a
    /// minute; it reconnects).
    public static let idleTimeoutS: Int64 = 30

    public let host: String
    public let port: Int
    public let ssdpPort: Int?
    public let uuid: String
    public let friendlyName: String
    /// The host put in URLs handed out (LOCATION, `semp:server`); nil: the address the request
    /// reached (or `host`).
    public let advertisedHost: String?
    public let multicast: Bool
    let backend: any SEMPBackend
    let logger: Logger
    let clock: @Sendable () -> Double

    private let state = Mutex(State())

    private struct State: Sendable {
        var started = false
        var stopped = false
        var httpTask: Task<Void, Never>?
        var httpChannel: (any Channel)?
        var ssdpChannel: (any Channel)?
        var announcer: RepeatedTask?
        var identity: SSDP.Identity?
    }

    /// - Parameters:
    ///   - host: the address to listen on (HTTP and, for a specific address, SSDP).
    ///   - port: the HTTP port; 0: any free one (see ``start()``).
    ///   - ssdpPort: the UDP port for SSDP searches (1900 in a real installation; 0: any free one;
    ///     nil: no SSDP).
    ///   - uuid: the UPnP UUID of the gateway (also its description's path).
    ///   - clock: unix seconds now (the energy requests' deadlines are relative to it).
    public init(host: String, port: Int, ssdpPort: Int?, uuid: String, friendlyName: String, backend: any SEMPBackend,
                logger: Logger, advertisedHost: String? = nil, multicast: Bool = false,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.host = host
        self.port = port
        self.ssdpPort = ssdpPort
        self.uuid = uuid.lowercased()
        self.friendlyName = friendlyName
        self.backend = backend
        self.logger = logger
        self.advertisedHost = advertisedHost
        self.multicast = multicast
        self.clock = clock
    }

    deinit {
        stop()
    }

    // MARK: Start and stop

    /// Binds now (port 0: any free one) and returns the ports bound. Blocks the calling thread until
    /// the HTTP server listens: call it from a thread that may block; in async code `await` the
    /// async `start()` instead (it waits without holding a thread of the cooperative pool).
    public func start() throws -> (http: Int, ssdp: Int?) {
        try begin()
        do {
            let listening = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Int.self)
            launchHTTP(listening)
            let http = try listening.futureResult.wait()
            let ssdp = try bindSSDP(httpPort: http)?.wait()
            return (http, ssdp)
        } catch {
            stop()
            throw error
        }
    }

    /// Binds now and returns the ports bound (see the blocking ``start()``).
    public func start() async throws -> (http: Int, ssdp: Int?) {
        try begin()
        do {
            let listening = MultiThreadedEventLoopGroup.singleton.any().makePromise(of: Int.self)
            launchHTTP(listening)
            let http = try await listening.futureResult.get()
            let ssdp = try await bindSSDP(httpPort: http)?.get()
            return (http, ssdp)
        } catch {
            stop()
            throw error
        }
    }

    /// Closes both sockets (after a `byebye` when announcing). Returns at once; a request being
    /// answered may still finish.
    public func stop() {
        let (task, http, ssdp, announcer, identity) = state.withLock { state in
            state.stopped = true
            defer {
                state.httpTask = nil
                state.httpChannel = nil
                state.ssdpChannel = nil
                state.announcer = nil
            }
            return (state.httpTask, state.httpChannel, state.ssdpChannel, state.announcer, state.identity)
        }
        announcer?.cancel()
        if let ssdp {
            if announcer != nil, let identity {
                Self.announce(SSDP.notify(alive: false, identity: identity), on: ssdp)
            }
            ssdp.close(promise: nil)
        }
        http?.close(promise: nil)
        task?.cancel()
    }

    private func begin() throws {
        guard Self.isUUID(uuid) else { throw SEMPServerError.invalidUUID(uuid) }
        try state.withLock { state in
            guard !state.started else { throw SEMPServerError.alreadyStarted }
            state.started = true
        }
    }

    static func isUUID(_ text: String) -> Bool {
        let groups = text.split(separator: "-", omittingEmptySubsequences: false)
        return groups.map(\.count) == [8, 4, 4, 4, 12] && groups.allSatisfy { $0.allSatisfy(\.isHexDigit) }
    }

    // MARK: HTTP

    /// Runs the Hummingbird application in a task; `listening` gets the port once it listens, or
    /// the error that kept it from listening.
    private func launchHTTP(_ listening: EventLoopPromise<Int>) {
        let once = Mutex(false)
        let settle: @Sendable (Result<Int, any Error>) -> Void = { result in
            guard once.withLock({ done in defer { done = true }; return !done }) else { return }
            listening.completeWith(result)
        }
        let configuredPort = port
        let application = Application(
            router: routes(),
            server: .http1(configuration: .init(
                idleTimeout: .seconds(SEMPServer.idleTimeoutS),
                httpDecoderConfiguration: .init(maxHeaderFieldSize: 8 * 1024, maxHeaderListSize: 16 * 1024, maxHeaderFieldCount: 64))),
            configuration: .init(address: .hostname(host, port: port), serverName: nil,
                                 availableConnectionsDelegate: MaximumAvailableConnections(Self.maxConnections)),
            onServerRunning: { [weak self, logger] channel in
                await AcceptPause.install(on: channel, logger: logger, what: "SEMP")
                let closeNow = self?.state.withLock { state in
                    state.httpChannel = channel
                    return state.stopped
                } ?? true
                if closeNow { channel.close(promise: nil) }
                settle(.success(channel.localAddress?.port ?? configuredPort))
            },
            logger: Logger(label: "chargebridge.semp.http", factory: { _ in SwiftLogNoOpLogHandler() }))
        let task = Task {
            do {
                try await application.run()
                settle(.failure(SEMPServerError.endedBeforeListening))
            } catch {
                settle(.failure(error))
            }
        }
        let stopped = state.withLock { state in
            state.httpTask = task
            return state.stopped
        }
        if stopped { task.cancel() }
    }

    private func routes() -> Router<SEMPRequestContext> {
        let router = Router(context: SEMPRequestContext.self, options: .autoGenerateHeadEndpoints)
        let handlers = Handlers(backend: backend, uuid: uuid, friendlyName: friendlyName, advertisedHost: advertisedHost,
                                logger: logger, clock: clock)
        router.get("uuid:\(uuid)/description.xml") { _, context in
            handlers.description(context)
        }
        router.get(RouterPath(Self.basePath)) { _, _ in
            handlers.device2EM()
        }
        router.post(RouterPath(Self.basePath)) { request, context in
            try await handlers.em2Device(request, context)
        }
        return router
    }

    // MARK: SSDP

    /// Binds the SSDP socket (nil: no SSDP); the future has the port bound.
    private func bindSSDP(httpPort: Int) throws -> EventLoopFuture<Int>? {
        guard let ssdpPort else { return nil }
        let loopback = Self.isLoopback(host)
        let wildcard = host == "0.0.0.0" || host == "::" || host.isEmpty
        // a search sent to the multicast group reaches only a socket bound to every address
        let bindHost = loopback ? host : (host.contains(":") ? "::" : "0.0.0.0")
        let fixedHost = advertisedHost ?? (wildcard ? nil : host)
        // a wildcard host: the address the search reached, or — for a search sent to the group —
        // the IPv4 address of the interface it came in on (never the group's address)
        let interfaces = fixedHost == nil ? Self.ipv4Addresses() : [:]
        let uuid = uuid
        let identity: @Sendable (NIOPacketInfo?) -> SSDP.Identity? = { packet in
            var address = fixedHost
            if address == nil, let packet {
                if let destination = packet.destinationAddress.ipAddress, !Self.isMulticast(destination) {
                    address = destination
                } else {
                    address = interfaces[packet.interfaceIndex]
                }
            }
            guard let address else { return nil }
            return SSDP.Identity(uuid: uuid, location: "http://\(Self.urlHost(address)):\(httpPort)/uuid:\(uuid)/description.xml")
        }
        let logger = logger
        let bootstrap = DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.receivePacketInfo, value: true)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: SSDP.maxDatagramBytes + 1))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        SSDPResponder(limiter: SSDP.RateLimiter(), logger: logger, identity: identity))
                }
            }
        return bootstrap.bind(host: bindHost, port: ssdpPort).flatMap { [weak self] channel in
            let keep = self?.state.withLock { state in
                state.ssdpChannel = channel
                return !state.stopped
            } ?? false
            guard let self, keep else {
                return channel.close().flatMapThrowing { throw SEMPServerError.stoppedWhileStarting }
            }
            let bound = channel.localAddress?.port ?? ssdpPort
            guard self.multicast, !loopback else {
                if self.multicast { logger.notice("SSDP: no multicast on a loopback address") }
                return channel.eventLoop.makeSucceededFuture(bound)
            }
            return self.joinAndAnnounce(channel, identity: identity).map { bound }
        }
    }

    /// Joins the SSDP group on the interface holding `host` (any interface for a wildcard host),
    /// then announces the gateway now and every half max-age. Failures are logged, not fatal:
    /// unicast searches are still answered.
    private func joinAndAnnounce(_ channel: any Channel, identity: @escaping @Sendable (NIOPacketInfo?) -> SSDP.Identity?) -> EventLoopFuture<Void> {
        let logger = logger
        guard let group = try? SocketAddress(ipAddress: SSDP.multicastHost, port: SSDP.port),
              let multicastChannel = channel as? any MulticastChannel else {
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let device = (try? System.enumerateDevices())?.first { $0.address?.ipAddress == host }
        return multicastChannel.joinGroup(group, device: device).map { [weak self] in
            guard let self else { return }
            guard let identity = identity(nil) else {
                logger.notice("SSDP: joined \(SSDP.multicastHost); no announcements without a specific host or advertised host")
                return
            }
            let repeated = channel.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: .seconds(Int64(SSDP.maxAgeS / 2))) { _ in
                Self.announce(SSDP.notify(alive: true, identity: identity), on: channel)
            }
            let stopped = self.state.withLock { state in
                state.announcer = repeated
                state.identity = identity
                return state.stopped
            }
            if stopped { repeated.cancel() }
        }.recover { [host] error in
            logger.warning("SSDP: could not join \(SSDP.multicastHost) on \(host): \(error); unicast searches only")
        }
    }

    private static func announce(_ messages: [String], on channel: any Channel) {
        guard let group = try? SocketAddress(ipAddress: SSDP.multicastHost, port: SSDP.port) else { return }
        for message in messages {
            channel.write(AddressedEnvelope(remoteAddress: group, data: channel.allocator.buffer(string: message)), promise: nil)
        }
        channel.flush()
    }

    /// The first IPv4 address of each interface, by interface index.
    static func ipv4Addresses() -> [Int: String] {
        var addresses: [Int: String] = [:]
        for device in (try? System.enumerateDevices()) ?? [] {
            guard case .v4? = device.address, let ip = device.address?.ipAddress, addresses[device.interfaceIndex] == nil else { continue }
            addresses[device.interfaceIndex] = ip
        }
        return addresses
    }

    /// 224.0.0.0/4 and ff00::/8.
    static func isMulticast(_ address: String) -> Bool {
        if address.lowercased().hasPrefix("ff") { return true }
        guard let first = address.split(separator: ".").first.flatMap({ Int($0) }) else { return false }
        return (224 ... 239).contains(first)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// A host for a URL: an IPv6 address in brackets.
    static func urlHost(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}

/// The request context: the channel, for the peer's address and the address it reached.
struct SEMPRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    var maxUploadSize: Int { SEMPServer.maxBodyBytes }
}

/// The route handlers, with what they need and nothing of the server's state.
struct Handlers: Sendable {
    let backend: any SEMPBackend
    let uuid: String
    let friendlyName: String
    let advertisedHost: String?
    let logger: Logger
    let clock: @Sendable () -> Double

    func description(_ context: SEMPRequestContext) -> Response {
        let local = context.channel.localAddress
        let host = advertisedHost ?? local?.ipAddress ?? "127.0.0.1"
        let server = "http://\(SEMPServer.urlHost(host)):\(local?.port ?? 80)"
        return Self.xml(SEMPDocument.deviceDescription(uuid: uuid, serverURL: server, basePath: SEMPServer.basePath,
                                                       friendlyName: friendlyName))
    }

    func device2EM() -> Response {
        Self.xml(SEMPDocument.device2EM(backend.devices(), now: clock()))
    }

    func em2Device(_ request: Request, _ context: SEMPRequestContext) async throws -> Response {
        let peer = Self.peer(context.channel.remoteAddress)
        if let type = request.headers[.contentType]?.lowercased(),
           !(type.contains("xml") || type.hasPrefix("text/plain") || type.hasPrefix("application/octet-stream")) {
            return Self.text(.unsupportedMediaType, "EM2Device is XML (application/xml), not \(type)\n")
        }
        if let length = request.headers[.contentLength], Int(length).map({ $0 > SEMPServer.maxBodyBytes }) ?? true {
            return tooLarge(context, peer: peer.text)
        }
        let body: ByteBuffer
        do {
            var request = request
            body = try await request.collectBody(upTo: SEMPServer.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return tooLarge(context, peer: peer.text)
        }
        let controls: [SEMPControl]
        do {
            controls = try SEMPDocument.parseEM2Device(body.readableBytesView)
        } catch {
            logger.info("SEMP: EM2Device from \(peer.text) refused: \(error.message)")
            return Self.text(.badRequest, error.message + "\n")
        }
        var refusals: [SEMPRefusal] = []
        for control in controls {
            if let refusal = backend.control(control, peerAddress: peer.bytes, peer: peer.text) {
                logger.info("SEMP: control of \(control.deviceID) from \(peer.text) refused: \(refusal.message)")
                refusals.append(refusal)
            } else {
                logger.debug("SEMP: control of \(control.deviceID) from \(peer.text): on \(control.on), \(control.recommendedPowerW.map { "\($0) W" } ?? "no power")")
            }
        }
        guard !refusals.isEmpty else { return Response(status: .ok) }
        let message = refusals.map(\.message).joined(separator: "\n") + "\n"
        return Self.text(refusals.contains(where: \.forbidden) ? .forbidden : .badRequest, message)
    }

    /// 413, and no more reading from this connection: the rest of the body is neither read nor
    /// drained, and the connection, its request unfinished, is closed at the idle timeout (unless
    /// the peer, told `Connection: close`, goes first). Closing the input instead would make the
    /// HTTP decoder see a truncated body and answer a second time (400).
    private func tooLarge(_ context: SEMPRequestContext, peer: String) -> Response {
        logger.info("SEMP: EM2Device from \(peer) over \(SEMPServer.maxBodyBytes) bytes refused")
        context.channel.setOption(ChannelOptions.autoRead, value: false).whenFailure { _ in
            context.channel.close(promise: nil)
        }
        var response = Self.text(.contentTooLarge, "EM2Device over \(SEMPServer.maxBodyBytes) bytes\n")
        response.headers[.connection] = "close"
        return response
    }

    static func xml(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/xml; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The peer's address as bytes (4 or 16; empty for anything else) and as "ip:port".
    static func peer(_ address: SocketAddress?) -> (bytes: [UInt8], text: String) {
        switch address {
        case .v4(let v4)?:
            let bytes = withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
            return (bytes, "\(address?.ipAddress ?? "?"):\(address?.port ?? 0)")
        case .v6(let v6)?:
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            return (bytes, "[\(address?.ipAddress ?? "?")]:\(address?.port ?? 0)")
        default:
            return ([], address.map { "\($0)" } ?? "unknown")
        }
    }
}
