import NIOCore
import NIOWebSocket

/// What the server tells the bridge about one charge point's connection. Called on the
/// connection's event loop; implementations must not block.
public protocol OCPPConnectionDelegate: AnyObject, Sendable {
    func opened(_ connection: OCPPConnection)
    func received(_ text: String, on connection: OCPPConnection)
    func closed(_ connection: OCPPConnection)
}

/// One charge point's WebSocket: send text, close, schedule work on its event loop.
public final class OCPPConnection: Sendable {
    public let chargePointId: String
    /// The subprotocol chosen at the upgrade ("ocpp1.6", "ocpp2.0.1").
    public let subprotocol: String
    let channel: Channel

    init(id: String, subprotocol: String, channel: Channel) {
        chargePointId = id
        self.subprotocol = subprotocol
        self.channel = channel
    }

    public func send(_ text: String) {
        let buffer = channel.allocator.buffer(string: text)
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }

    public func close() {
        channel.close(promise: nil)
    }

    /// Runs `body` every `seconds` on the connection's event loop until the connection closes.
    public func every(seconds: Double, _ body: @escaping @Sendable () -> Void) {
        let interval = TimeAmount.milliseconds(Int64(seconds * 1000))
        let task = channel.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in body() }
        channel.closeFuture.whenComplete { _ in task.cancel() }
    }

    /// Runs `body` on the connection's event loop soon.
    public func soon(_ body: @escaping @Sendable () -> Void) {
        channel.eventLoop.execute(body)
    }

    public var remote: String { channel.remoteAddress?.description ?? "?" }
}

/// WebSocket frames ↔ OCPP text messages: fragments joined (bounded), pings answered, a close
/// answered and the connection closed, binary refused.
final class WebSocketMessageHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let connection: OCPPConnection
    private let delegate: any OCPPConnectionDelegate
    private let maxMessageBytes: Int
    private var partial: ByteBuffer?
    private var closing = false

    init(connection: OCPPConnection, delegate: any OCPPConnectionDelegate, maxMessageBytes: Int) {
        self.connection = connection
        self.delegate = delegate
        self.maxMessageBytes = maxMessageBytes
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text, .continuation:
            if frame.opcode == .text { partial = context.channel.allocator.buffer(capacity: frame.length) }
            guard partial != nil else { return close(context, code: .protocolError) }
            var data = frame.unmaskedData
            partial!.writeBuffer(&data)
            guard partial!.readableBytes <= maxMessageBytes else { return close(context, code: .messageTooLarge) }
            if frame.fin, let message = partial {
                partial = nil
                delegate.received(String(buffer: message), on: connection)
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
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
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: buffer))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        delegate.closed(connection)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
