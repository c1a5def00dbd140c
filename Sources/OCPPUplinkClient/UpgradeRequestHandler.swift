import NIOCore
import NIOHTTP1

/// Sends the WebSocket upgrade request (the upgrader adds its own headers) with the OCPP 1.6
/// subprotocol and basic auth; a refused upgrade (401, 404 …) is reported and the socket closed.
final class UpgradeRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let endpoint: UplinkEndpoint
    let refused: @Sendable (String) -> Void

    init(endpoint: UplinkEndpoint, refused: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.refused = refused
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(endpoint.host):\(endpoint.port)")
        headers.add(name: "Sec-WebSocket-Protocol", value: "ocpp1.6")
        headers.add(name: "Content-Length", value: "0")
        if let authorization = endpoint.authorization { headers.add(name: "Authorization", value: authorization) }
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: endpoint.target, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // only a response that was not an upgrade gets here
        if case .head(let head) = unwrapInboundIn(data) {
            refused("backend at \(endpoint.url) refused the connection: HTTP \(head.status.code) \(head.status.reasonPhrase)")
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        refused("connection to \(endpoint.url) failed: \(error)")
        context.close(promise: nil)
    }
}
