import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL

/// TLS for security profiles 2 and 3: the server's certificate, and with a client CA the charge
/// points' certificates (profile 3).
extension OCPPServer {
    /// The server's chain and key (TLS 1.2 or newer, as OCPP's profiles 2 and 3 ask). With a client
    /// CA every charge point is asked for a certificate, and one that is sent must verify against the
    /// CA or the handshake fails; a handshake without one still succeeds, because profile-2 charge
    /// points share the port: the upgrade decides per charge point.
    static func makeTLSContext(certificate: String, key: String, clientCA: String?) throws -> NIOSSLContext {
        let chain = try NIOSSLCertificate.fromPEMFile(certificate).map { NIOSSLCertificateSource.certificate($0) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCA {
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCA))
            configuration.certificateVerification = .optionalVerification
            configuration.sendCANameList = true   // a charge point with several certificates picks the right one
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// A connection opened with a client certificate ends when the certificate does: TLS checked
    /// it at the handshake only, and a charge point may stay connected for months. It reconnects
    /// with a renewed certificate (or is refused with the old one).
    static func closeAtExpiry(_ channel: Channel, clientCA: String?, id: String, logger: Logger) {
        guard clientCA != nil, let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate() else { return }
        let left = max(0, Double(certificate.notValidAfter) - Date().timeIntervalSince1970)
        let expiry = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(min(left, 1e9) * 1000))) {
            logger.warning("OCPP charge point \"\(id)\": its client certificate expired, connection closed")
            channel.close(promise: nil)
        }
        // (a task per connection would otherwise live until the certificate's end)
        channel.closeFuture.whenComplete { _ in expiry.cancel() }
    }

    /// The client certificate (DER) the handshake verified against the client CA; nil: none sent,
    /// or no client CA configured (then nothing was verified and nothing is trusted).
    static func verifiedClientCertificate(_ channel: Channel, clientCA: String?) -> [UInt8]? {
        guard clientCA != nil, let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate() else { return nil }
        return try? certificate.toDERBytes()
    }
}

/// Logs failed TLS handshakes (an unknown CA, plain ws:// on the TLS port) at most once a minute,
/// with the count since the last line: a charge point retrying with a bad certificate gives a line
/// a minute, not one per attempt. One per connection; the count is the server's.
final class TLSFailureLog: ChannelInboundHandler {
    typealias InboundIn = NIOAny

    /// The server's count of failures and the time of its last line.
    final class Lines: Sendable {
        let logger: Logger
        private let state = NIOLockedValueBox<(last: NIODeadline?, count: Int)>((nil, 0))

        init(logger: Logger) { self.logger = logger }

        /// A line is due: the failures since the last one (this one included).
        func failed(now: NIODeadline) -> Int? {
            state.withLockedValue { state in
                state.count += 1
                guard state.last.map({ now - $0 >= .seconds(60) }) ?? true else { return nil }
                defer { state = (now, 0) }
                return state.count
            }
        }
    }

    private let lines: Lines

    init(lines: Lines) { self.lines = lines }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // only the handshake: a peer that leaves without close_notify later is no failure
        if let failure = error as? NIOSSLError, case .handshakeFailed = failure, let count = lines.failed(now: .now()) {
            let more = count > 1 ? "; \(count) failed handshakes since the last such line" : ""
            lines.logger.warning("OCPP TLS handshake from \(context.channel.remoteAddress?.ipAddress ?? "?") failed: \(error)\(more)")
        }
        context.fireErrorCaught(error)
    }
}
