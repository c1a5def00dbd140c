import Logging
import NIOCore
import SEMP

/// Answers SSDP `M-SEARCH` datagrams on the UDP channel, unicast to the sender. Runs on the
/// channel's event loop only (its state is the loop's). Ignores everything else: datagrams over
/// 2 KiB, datagrams that are not a well-formed search, searches for something else, and answers
/// beyond the rate limit (per source and overall) — so no stranger can make it answer at will
/// (SSDP is a favourite reflector) nor grow its tables.
final class SSDPResponder: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    /// The identity to answer with, given where the search arrived (the packet info: the address
    /// it was sent to and the interface; nil when not known); nil: no answer.
    let identity: @Sendable (NIOPacketInfo?) -> SSDP.Identity?
    let logger: Logger
    private var limiter: SSDP.RateLimiter
    private var refusedSince: UInt64 = 0

    init(limiter: SSDP.RateLimiter, logger: Logger, identity: @escaping @Sendable (NIOPacketInfo?) -> SSDP.Identity?) {
        self.limiter = limiter
        self.logger = logger
        self.identity = identity
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let source = envelope.remoteAddress
        guard envelope.data.readableBytes <= SSDP.maxDatagramBytes, let sourceIP = source.ipAddress,
              let port = source.port, port > 0 else { return }
        guard let search = SSDP.parseSearch(envelope.data.readableBytesView) else { return }
        guard let identity = identity(envelope.metadata?.packetInfo) else { return }
        let answers = SSDP.responses(to: search, identity: identity)
        guard !answers.isEmpty else { return }
        let now = NIODeadline.now().uptimeNanoseconds
        guard limiter.allow(sourceIP, cost: answers.count, now: now) else {
            // one line per ten seconds at most, however hard it is pressed
            if now >= refusedSince + 10_000_000_000 {
                refusedSince = now
                logger.info("SSDP: searches over the rate limit are not answered (from \(sourceIP), among others)")
            }
            return
        }
        logger.debug("SSDP: answering \(search.target) to \(sourceIP):\(port)")
        for answer in answers {
            let buffer = context.channel.allocator.buffer(string: answer)
            context.write(wrapOutboundOut(AddressedEnvelope(remoteAddress: source, data: buffer)), promise: nil)
        }
        context.flush()
    }

    /// UDP errors (an ICMP "port unreachable" for an earlier answer, say) are no reason to stop listening.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("SSDP socket: \(error)")
    }
}
