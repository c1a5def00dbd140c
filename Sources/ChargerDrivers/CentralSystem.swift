import Foundation
import Logging
import OCPPServer
import ServiceConfiguration
import Synchronization

/// The bridge as the OCPP 1.6J central system of its site's charge points: the WebSocket server,
/// and who may connect (known ids with their passwords). Refusals are logged once per id and minute.
package final class CentralSystem: Sendable {
    private let server: OCPPServer
    private let settings: OCPPSettings

    package init(settings: OCPPSettings, drivers: [OCPPChargerDriver], logger: Logger) {
        self.settings = settings
        let byId = Dictionary(drivers.map { ($0.settings.chargePointId, $0) }, uniquingKeysWith: { first, _ in first })
        let lastLogged = Mutex<[String: Date]>([:])
        var server = OCPPServer.Settings()
        server.bind = settings.bind
        server.port = settings.port
        server.path = settings.path
        server.maxFrameBytes = settings.maxFrameBytes
        server.idleTimeoutSeconds = 3 * settings.heartbeatSeconds + 30
        if let certificate = settings.certificate, let key = settings.key { server.tls = (certificate, key) }
        self.server = OCPPServer(settings: server) { id, password, remote in
            func refuse(_ admission: OCPPServer.Admission, _ reason: String) -> OCPPServer.Admission {
                let key = "\(id)|\(reason)"
                let now = Date()
                let log = lastLogged.withLock { logged in
                    if logged.count > 10_000 { logged.removeAll() }   // bounded, whatever strangers send
                    guard now.timeIntervalSince(logged[key] ?? .distantPast) >= 60 else { return false }
                    logged[key] = now
                    return true
                }
                if log { logger.warning("OCPP connection from \(remote) refused: \(reason) (charge point id \"\(id.prefix(48))\")") }
                return admission
            }
            guard let driver = byId[id] else { return refuse(.unknown, "unknown charge point id") }
            guard let password, Self.same(password, driver.settings.password) else {
                return refuse(.unauthorized, password == nil ? "no basic-auth password" : "wrong password")
            }
            return .accept(driver)
        }
    }

    /// Binds now, so a port that is taken fails before anything starts.
    @discardableResult
    package func start() throws -> Int { try server.start() }

    package func stop() { server.stop() }

    /// Compares without stopping at the first difference.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = x.count ^ y.count
        for index in 0..<min(x.count, y.count) { difference |= Int(x[index] ^ y[index]) }
        return difference == 0
    }
}
