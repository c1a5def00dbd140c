import CMosquitto
import Foundation
import LinkValues
import Synchronization

/// A libmosquitto client with its own network thread. The thread connects, reconnects with
/// exponential backoff for as long as the client runs (whatever the error: refused, TLS, lost
/// connection) and hands every callback over to `events`, an `AsyncStream` the service reads in
/// Swift concurrency. `publish` and `subscribe` may be called from any thread.
public final class MQTTClient: Sendable {
    public let options: MQTTOptions
    /// Connection changes and received messages, in order. Bounded: a flood beyond 10 000
    /// unread messages drops the newest rather than growing without limit.
    public let events: AsyncStream<MQTTEvent>
    private let handle: Handle
    private let callbacks: Callbacks
    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private let finalMessage = Mutex<MQTTOptions.Will?>(nil)

    /// Fails on options libmosquitto refuses (unreadable TLS files, bad protocol setting).
    public init(options: MQTTOptions) throws(MQTTError) {
        MQTTLibrary.initialise()
        self.options = options
        let (stream, continuation) = AsyncStream.makeStream(of: MQTTEvent.self, bufferingPolicy: .bufferingOldest(10_000))
        events = stream
        callbacks = Callbacks(continuation: continuation, version5: options.protocolVersion == .v5)
        guard let pointer = mosquitto_new(options.clientID, true, Unmanaged.passUnretained(callbacks).toOpaque()) else {
            throw MQTTError("cannot create an MQTT client: \(String(cString: strerror(errno)))")
        }
        handle = Handle(pointer)
        try configure(pointer)
    }

    private func configure(_ mosq: OpaquePointer) throws(MQTTError) {
        func check(_ rc: Int32, _ what: String) throws(MQTTError) {
            guard rc == MOSQ_ERR_SUCCESS.rawValue else { throw MQTTError("\(what): \(MQTTLibrary.describe(rc))") }
        }
        try check(mosquitto_threaded_set(mosq, true), "threaded mode")
        let version = options.protocolVersion == .v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311
        try check(mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, version), "protocol version")
        // small state messages go out at once instead of waiting for the previous one's ACK (Nagle)
        try check(mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1), "TCP_NODELAY")
        if options.username != nil || options.password != nil {
            try check(mosquitto_username_pw_set(mosq, options.username, options.password), "username/password")
        }
        if let tls = options.tls {
            for file in [tls.caFile, tls.certFile, tls.keyFile].compactMap({ $0 }) where !FileManager.default.isReadableFile(atPath: file) {
                throw MQTTError("TLS file \(file) cannot be read")
            }
            try check(mosquitto_tls_set(mosq, tls.caFile, nil, tls.certFile, tls.keyFile, nil), "TLS (ca \(tls.caFile))")
            try check(mosquitto_tls_insecure_set(mosq, tls.insecure), "TLS hostname check")
        }
        if let will = options.will {
            try check(mosquitto_will_set(mosq, will.topic, Int32(will.payload.utf8.count), will.payload, 1, true), "last will")
        }
        mosquitto_connect_callback_set(mosq) { _, object, rc in
            Callbacks.from(object).connack(rc)
        }
        mosquitto_disconnect_callback_set(mosq) { _, object, rc in
            Callbacks.from(object).lost(rc)
        }
        mosquitto_message_callback_set(mosq) { _, object, message in
            guard let message, let topic = message.pointee.topic else { return }
            let count = Int(max(0, message.pointee.payloadlen))
            let payload = message.pointee.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: count)) } ?? []
            Callbacks.from(object).continuation.yield(.message(topic: String(cString: topic), payload: payload, retained: message.pointee.retain))
        }
    }

    /// True between the broker's CONNACK and the loss of the connection.
    public var isConnected: Bool { callbacks.connected.load(ordering: .acquiring) }

    /// How many times the broker accepted the connection. A reader that sees it change must
    /// subscribe and republish, even if the `.connected` event was dropped from a full stream.
    public var connections: Int { callbacks.connections.load(ordering: .acquiring) }

    /// Starts the network thread; it connects at once and keeps reconnecting until `stop`.
    public func start() {
        let thread = Thread { [self] in
            run()
            finished.signal()
        }
        thread.name = "mqtt \(options.host):\(options.port)"
        thread.start()
    }

    /// Publishes when connected; returns false (nothing queued) when not, so nothing piles up
    /// while the broker is away: the caller republishes its state after the next `.connected`.
    @discardableResult
    public func publish(_ topic: String, _ payload: String, qos: Int32 = 1, retain: Bool = true) -> Bool {
        guard isConnected else { return false }
        let bytes = Array(payload.utf8)
        let rc = bytes.withUnsafeBytes { buffer in
            mosquitto_publish(handle.pointer, nil, topic, Int32(buffer.count), buffer.count == 0 ? nil : buffer.baseAddress, qos, retain)
        }
        return rc == MOSQ_ERR_SUCCESS.rawValue
    }

    @discardableResult
    public func subscribe(_ pattern: String, qos: Int32 = 1) -> Bool {
        mosquitto_subscribe(handle.pointer, nil, pattern, qos) == MOSQ_ERR_SUCCESS.rawValue
    }

    /// Publishes `final` (retained) if connected, disconnects cleanly (so the broker does not
    /// send the last will) and joins the thread; waits at most `timeout`.
    public func stop(final: MQTTOptions.Will? = nil, timeout: Double = 3) {
        finalMessage.withLock { $0 = final }
        guard !stopRequested.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = finished.wait(timeout: .now() + timeout)
    }

    private func run() {
        let mosq = handle.pointer
        var delay = options.reconnectMin
        var attempted = false
        var socketOpen = false
        var attemptStart = ContinuousClock.now
        // no CONNACK within this long: the attempt failed (libmosquitto 2.0.11 can report success from
        // mosquitto_loop while a TLS handshake goes nowhere, until the keepalive runs out)
        let connectTimeout = Duration.seconds(max(5, min(options.keepalive, 15)))
        while !stopRequested.load(ordering: .acquiring) {
            if !socketOpen {
                callbacks.reportedThisAttempt.store(false, ordering: .releasing)
                attemptStart = .now
                let rc = attempted ? mosquitto_reconnect_async(mosq) : mosquitto_connect_async(mosq, options.host, Int32(options.port), Int32(options.keepalive))
                attempted = true
                if rc != MOSQ_ERR_SUCCESS.rawValue {
                    callbacks.report(failure: MQTTLibrary.describe(rc))
                    pause(delay)
                    delay = min(delay * 2, options.reconnectMax)
                    continue
                }
                socketOpen = true
            }
            let began = ContinuousClock.now
            var rc = mosquitto_loop(mosq, 100, 1)
            if isConnected {
                delay = options.reconnectMin
            } else if rc == MOSQ_ERR_SUCCESS.rawValue {
                if ContinuousClock.now - attemptStart > connectTimeout {
                    callbacks.report(failure: "no answer from the broker within \(connectTimeout)")
                    callbacks.reportedThisAttempt.store(true, ordering: .releasing)
                    mosquitto_disconnect(mosq)
                    rc = MOSQ_ERR_NO_CONN.rawValue
                } else if ContinuousClock.now - began < .milliseconds(1) {
                    Thread.sleep(forTimeInterval: 0.01)   // never spin while the connection is being set up
                }
            }
            if rc != MOSQ_ERR_SUCCESS.rawValue {
                socketOpen = false
                // a refused CONNACK or a lost connection was reported by its callback already
                if !callbacks.reportedThisAttempt.load(ordering: .acquiring) { callbacks.report(failure: MQTTLibrary.describe(rc)) }
                pause(delay)
                delay = min(delay * 2, options.reconnectMax)
            }
        }
        if isConnected {
            // QoS 0: queued ahead of the DISCONNECT, never held back behind unacknowledged QoS 1 messages
            if let final = finalMessage.withLock({ $0 }) { publish(final.topic, final.payload, qos: 0) }
            mosquitto_disconnect(mosq)
            // flush the final message and the DISCONNECT (bounded)
            var rounds = 0
            while rounds < 20, mosquitto_loop(mosq, 50, 1) == MOSQ_ERR_SUCCESS.rawValue { rounds += 1 }
        }
        callbacks.continuation.finish()
    }

    /// Sleeps in short slices so `stop` is never held up by a long backoff (monotonic: clock changes do not matter).
    private func pause(_ seconds: Double) {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline, !stopRequested.load(ordering: .acquiring) { Thread.sleep(forTimeInterval: 0.05) }
    }

    deinit {
        mosquitto_destroy(handle.pointer)
    }
}

/// The `mosquitto *`: libmosquitto in threaded mode guards it with its own locks, so publish and
/// subscribe are safe from any thread while the network thread loops.
private final class Handle: @unchecked Sendable {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
}

/// The object behind libmosquitto's `void *obj`: callbacks run on the network thread and only
/// touch the atomic flag and the stream's continuation (both thread-safe).
private final class Callbacks: Sendable {
    let continuation: AsyncStream<MQTTEvent>.Continuation
    let connected = Atomic<Bool>(false)
    let connections = Atomic<Int>(0)
    let version5: Bool
    /// Set when a callback explained why this connection attempt ended.
    let reportedThisAttempt = Atomic<Bool>(false)
    /// The last failure reported, so a broker that stays away is reported once, not every retry.
    private let lastFailure = Mutex<String?>(nil)

    init(continuation: AsyncStream<MQTTEvent>.Continuation, version5: Bool) {
        self.continuation = continuation
        self.version5 = version5
    }

    static func from(_ object: UnsafeMutableRawPointer?) -> Callbacks {
        Unmanaged<Callbacks>.fromOpaque(object!).takeUnretainedValue()
    }

    func connack(_ rc: Int32) {
        if rc == 0 {
            connected.store(true, ordering: .releasing)
            connections.add(1, ordering: .releasing)
            lastFailure.withLock { $0 = nil }
            continuation.yield(.connected)
        } else {
            report(failure: "refused by the broker: " + String(cString: version5 ? mosquitto_reason_string(rc) : mosquitto_connack_string(rc)))
            reportedThisAttempt.store(true, ordering: .releasing)
        }
    }

    func lost(_ rc: Int32) {
        guard connected.exchange(false, ordering: .acquiringAndReleasing), rc != 0 else { return }   // 0: our own disconnect
        let reason = "connection lost (\(MQTTLibrary.describe(rc)))"
        lastFailure.withLock { $0 = reason }
        reportedThisAttempt.store(true, ordering: .releasing)
        continuation.yield(.disconnected(reason: reason))
    }

    func report(failure: String) {
        connected.store(false, ordering: .releasing)
        let isNew = lastFailure.withLock { last in
            defer { last = failure }
            return last != failure
        }
        if isNew { continuation.yield(.disconnected(reason: failure)) }
    }
}

enum MQTTLibrary {
    private static let initialised: Bool = {
        mosquitto_lib_init()
        return true
    }()

    static func initialise() { _ = initialised }

    /// libmosquitto's text for an error code; for a system error, the system's text.
    static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }
}
