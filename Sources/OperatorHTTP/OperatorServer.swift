import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOServerSupport
import OperatorStatus
import Prometheus
import ServiceConfiguration
import ServiceLifecycle

/// The operator's read-only HTTP endpoint (Hummingbird): `/metrics` in the Prometheus text format,
/// `/health` (the JSON of the MQTT health topic) and `/`, the status page. Only GET and HEAD are
/// served; nothing here changes state. A service of its own in the service group.
public struct OperatorServer: Service {
    let settings: HTTPSettings
    /// The site now; `true`: with the newest events (a database read, for the page only).
    let status: @Sendable (Bool) -> SiteStatus
    let exporter: MetricsExporter
    let version: String
    let logger: Logger

    /// - Parameter registry: the registry swift-metrics was bootstrapped with.
    public init(settings: HTTPSettings, registry: PrometheusCollectorRegistry, version: String, logger: Logger,
                status: @escaping @Sendable (Bool) -> SiteStatus) {
        self.settings = settings
        self.status = status
        exporter = MetricsExporter(registry: registry)
        self.version = version
        self.logger = logger
    }

    func router() -> Router<BasicRequestContext> {
        // HEAD on every GET route: the same status and headers (Content-Length too), no body
        let router = Router(options: .autoGenerateHeadEndpoints)
        router.middlewares.add(ReadOnlyMiddleware(maxBodyBytes: settings.maxBodyBytes))
        let refresh = settings.refreshSeconds, version = version, status = status, exporter = exporter
        router.get("/") { request, _ in
            // ?range=hour|day picks the charts' span; any other value is the hour
            let range = HistoryRange(query: request.uri.queryParameters.get("range"))
            return Self.response(StatusPage.render(status(true), refreshSeconds: refresh, version: version, range: range),
                                 type: "text/html; charset=utf-8")
        }
        router.get("/health") { _, _ in
            Self.response(status(false).health.json + "\n", type: "application/json")
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: exporter.render(status(false)))))
        }
        return router
    }

    static func response(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    public func run() async throws {
        let settings = settings, logger = logger
        let application = Application(
            router: router(),
            server: .http1(configuration: .init(idleTimeout: .seconds(30))),
            configuration: .init(address: .hostname(settings.bind, port: settings.port), serverName: nil,
                                 availableConnectionsDelegate: MaximumAvailableConnections(settings.maxConnections)),
            onServerRunning: { channel in
                await AcceptPause.install(on: channel, logger: logger, what: "HTTP endpoint")
                let port = channel.localAddress?.port ?? settings.port
                logger.notice("HTTP endpoint on http://\(settings.bind):\(port)/ (status page, /metrics, /health; read-only)")
            },
            logger: Logger(label: "chargebridge.http", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await application.run()
    }
}

/// Only GET and HEAD, and no body above the limit: the endpoint shows, it never takes.
struct ReadOnlyMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard request.method == .get || request.method == .head else {
            throw HTTPError(.methodNotAllowed, headers: [.allow: "GET, HEAD"], message: "read-only: GET or HEAD")
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maxBodyBytes {
            throw HTTPError(.contentTooLarge, message: "request body over \(maxBodyBytes) bytes")
        }
        var request = request
        // a chunked body has no length to check first: read at most the limit, then refuse
        _ = try await request.collectBody(upTo: maxBodyBytes)
        return try await next(request, context)
    }
}
