import NIOCore
import NIOWebSocket

/// The client's WebSocket frames ↔ OCPP text messages: fragments joined (bounded), pings answered
/// (masked, as a client must), a close answered, binary refused.
final class ClientFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    static let maxMessageBytes = 1 << 20
    let client: UplinkClient
    private var partial: ByteBuffer?
    private var closing = false

    init(client: UplinkClient) { self.client = client }

    func handlerAdded(context: ChannelHandlerContext) {
        client.opened()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            if frame.opcode == .text { partial = context.channel.allocator.buffer(capacity: frame.length) }
            guard partial != nil else { return close(context, code: .protocolError) }
            var data = frame.unmaskedData
            partial!.writeBuffer(&data)
            guard partial!.readableBytes <= Self.maxMessageBytes else { return close(context, code: .messageTooLarge) }
            if frame.fin, let message = partial {
                partial = nil
                client.received(String(buffer: message))
            }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            close(context, code: .normalClosure)
        case .binary:
            close(context, code: .unacceptableData)
        default:
            break
        }
    }

    private func close(_ context: ChannelHandlerContext, code: WebSocketErrorCode) {
        guard !closing else { return }
        closing = true
        var buffer = context.channel.allocator.buffer(capacity: 2)
        buffer.write(webSocketErrorCode: code)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: buffer))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
