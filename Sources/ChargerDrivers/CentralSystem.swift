import Foundation
import Logging
import OCPP
import OCPPServer
import ServiceConfiguration
import ServiceSupport
import Synchronization

/// The bridge as the OCPP central system of its site's charge points (1.6J and 2.0.1): the
/// WebSocket server, and who may connect (known ids with their passwords or, security profile 3,
/// their client certificates: `ChargePointCredentials`; in a version they may speak). Failed
/// attempts slow their source down and are logged at most once a minute per kind
/// (`RefusalThrottle`); a charge point offering only versions it may not speak is refused and
/// logged once a minute per charge point.
package final class CentralSystem: Sendable {
    private let server: OCPPServer
    private let settings: OCPPSettings

    package init(settings: OCPPSettings, drivers: [OCPPChargerDriver], logger: Logger) {
        self.settings = settings
        let byId = Dictionary(drivers.map { ($0.settings.chargePointId, $0) }, uniquingKeysWith: { first, _ in first })
        let throttle = Mutex(RefusalThrottle()), clock = MonotonicSeconds(), versionLines = Coalescer(interval: 60)
        var server = OCPPServer.Settings()
        server.bind = settings.bind
        server.port = settings.port
        server.path = settings.path
        server.maxFrameBytes = settings.maxFrameBytes
        server.idleTimeoutSeconds = 3 * settings.heartbeatSeconds + 30
        if let certificate = settings.certificate, let key = settings.key { server.tls = (certificate, key) }
        server.clientCA = settings.clientCA
        self.server = OCPPServer(settings: server, logger: logger) { id, password, certificate, remote, offered in
            let now = clock.now
            let certificateName = certificate.flatMap(CertificateSubject.commonName(der:))
            // the check and the bookkeeping under one lock: parallel attempts queue one after the other
            let (admission, verdict, kind) = throttle.withLock { throttle -> (OCPPServer.Admission, RefusalThrottle.Verdict, RefusalThrottle.Kind?) in
                if throttle.turnsAway(remote, now: now) {
                    return (.tooMany, throttle.attempt(remote, .refused(.tooMany), now: now), .tooMany)
                }
                let (admission, kind): (OCPPServer.Admission, RefusalThrottle.Kind?)
                if let driver = byId[id] {
                    let credentials = ChargePointCredentials(securityProfile: driver.settings.securityProfile ?? 1, password: driver.settings.password)
                    switch credentials.refusal(id: id, password: password, certificateName: certificateName) {
                    case nil:
                        // the right credentials: a version mismatch is a configuration matter, not a guess
                        let version = OCPPVersion.choose(offered: offered, allowed: driver.allowedVersions)
                        (admission, kind) = (version.map { .accept(driver, subprotocol: $0.subprotocol) } ?? .noSubprotocol, nil)
                    case .noCertificate: (admission, kind) = (.forbidden, .noCertificate)
                    case .certificateMismatch: (admission, kind) = (.forbidden, .certificateMismatch)
                    case let refusal: (admission, kind) = (.unauthorized, refusal)
                    }
                } else {
                    (admission, kind) = (.unknown, .unknownId)
                }
                return (admission, throttle.attempt(remote, kind.map { .refused($0) } ?? .admitted, now: now), kind)
            }
            if case .noSubprotocol = admission, let driver = byId[id], let held = versionLines.admit(id) {
                let allowed = driver.allowedVersions.map(\.subprotocol).sorted().joined(separator: " or ")
                let more = held > 0 ? " (\(held) more since the last such line)" : ""
                logger.warning("OCPP connection of charge point \"\(id)\" refused: it offers \(offered.joined(separator: ", ")), its ocpp.version allows \(allowed)\(more)",
                               metadata: ["charger": "\(driver.chargerId)"])
            }
            if let kind, let count = verdict.logCount {
                let more = count > 1 ? "; \(count) refusals of this kind since the last such line" : ""
                // the CN is from a certificate the CA signed; shown printable and short all the same
                let printable = certificateName?.filter { $0.isASCII && !$0.isNewline && $0 >= " " }.prefix(64)
                let name = kind == .certificateMismatch ? printable.map { ", certificate CN \"\($0)\"" } ?? "" : ""
                logger.warning("OCPP connection from \(remote) refused: \(kind.rawValue) (charge point id \"\(id.prefix(48))\"\(name))\(more); failed attempts slow their source down")
            }
            return (admission, verdict.delay)
        }
    }

    /// Binds now, so a port that is taken fails before anything starts.
    @discardableResult
    package func start() throws -> Int { try server.start() }

    package func stop() { server.stop() }
}
