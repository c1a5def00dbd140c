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
/// answered and the connection closed, binary refused. The server's side, and (`masked`) a client's
/// (the CPO uplink), whose frames must carry a mask (RFC 6455 §5.3).
public final class WebSocketMessageHandler: ChannelInboundHandler {
    public typealias InboundIn = WebSocketFrame
    public typealias OutboundOut = WebSocketFrame

    private let received: @Sendable (String) -> Void
    private let closed: @Sendable () -> Void
    private let maxMessageBytes: Int
    private let masked: Bool
    private var partial: ByteBuffer?
    private var closing = false

    public init(maxMessageBytes: Int, masked: Bool = false, received: @escaping @Sendable (String) -> Void, closed: @escaping @Sendable () -> Void) {
        self.received = received
        self.closed = closed
        self.maxMessageBytes = maxMessageBytes
        self.masked = masked
    }

    convenience init(connection: OCPPConnection, delegate: any OCPPConnectionDelegate, maxMessageBytes: Int) {
        self.init(maxMessageBytes: maxMessageBytes, received: { delegate.received($0, on: connection) }, closed: { delegate.closed(connection) })
    }

    private var mask: WebSocketMaskingKey? { masked ? .random() : nil }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
                received(String(buffer: message))
            }
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: mask, data: frame.unmaskedData)
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
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: mask, data: buffer))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        closed()
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
