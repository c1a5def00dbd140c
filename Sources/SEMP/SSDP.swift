/// SSDP (UPnP discovery, UDP) as text: reading an `M-SEARCH`, the unicast answers a SEMP gateway
/// gives, and its `NOTIFY` announcements. Pure; the socket is elsewhere.
public enum SSDP {
    /// The SSDP multicast group and port.
    public static let multicastHost = "239.255.255.250"
    public static let port = 1900
    /// How long an answer or announcement stays valid (`CACHE-CONTROL: max-age`), s; announce again
    /// at half of it.
    public static let maxAgeS = 1800
    /// Datagrams longer than this are not read.
    public static let maxDatagramBytes = 2048

    /// The gateway as SSDP shows it.
    public struct Identity: Sendable, Equatable {
        /// The UUID of the UPnP root device (without `uuid:`).
        public var uuid: String
        /// The URL of the device description.
        public var location: String
        /// `SERVER`: OS/version UPnP/1.0 product/version.
        public var server: String

        public init(uuid: String, location: String, server: String = "Linux UPnP/1.0 chargebridge/1.0") {
            self.uuid = uuid
            self.location = location
            self.server = server
        }

        /// The notification/search targets a SEMP gateway answers, each with its USN.
        public var targets: [(nt: String, usn: String)] {
            [("upnp:rootdevice", "uuid:\(uuid)::upnp:rootdevice"),
             ("uuid:\(uuid)", "uuid:\(uuid)"),
             (SEMPDocument.gatewayType, "uuid:\(uuid)::\(SEMPDocument.gatewayType)")]
        }
    }

    /// An `M-SEARCH` request.
    public struct Search: Sendable, Equatable {
        /// The search target (`ST`).
        public var target: String
        /// `MX`, s (nil: not given — a unicast search).
        public var maxWaitS: Int?

        public init(target: String, maxWaitS: Int?) {
            self.target = target
            self.maxWaitS = maxWaitS
        }
    }

    /// Reads an `M-SEARCH * HTTP/1.1` request with `MAN: "ssdp:discover"` and an `ST`; nil for anything
    /// else (a `NOTIFY`, a response, a malformed or oversized datagram). Header names are matched
    /// without regard to case; lines may end in CRLF or LF.
    public static func parseSearch(_ datagram: some Collection<UInt8>) -> Search? {
        guard datagram.count <= maxDatagramBytes, let text = String(validating: Array(datagram), as: UTF8.self) else { return nil }
        // "\r\n" is one Character: splitting at newlines takes CRLF and LF alike
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, parts[0] == "M-SEARCH", parts[1] == "*", parts[2] == "HTTP/1.1" else { return nil }
        lines.removeFirst()
        var headers: [String: String] = [:]
        for line in lines {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = line[..<colon].trimmed.lowercased()
            guard !name.isEmpty, headers[name] == nil else { return nil }
            headers[name] = String(line[line.index(after: colon)...]).trimmed
        }
        guard let man = headers["man"], man == "\"ssdp:discover\"" || man == "ssdp:discover",
              let target = headers["st"], !target.isEmpty, target.count <= 256 else { return nil }
        var wait: Int?
        if let mx = headers["mx"] {
            guard let value = Int(mx), value >= 0 else { return nil }
            wait = value
        }
        return Search(target: target, maxWaitS: wait)
    }

    /// The answers to a search: one per matching target — all three for `ssdp:all`, one for
    /// `upnp:rootdevice`, for `uuid:<this uuid>` and for the SEMP gateway type; none otherwise.
    public static func responses(to search: Search, identity: Identity) -> [String] {
        let target = search.target
        if target == "ssdp:all" {
            return identity.targets.map { response(st: $0.nt, usn: $0.usn, identity: identity) }
        }
        for (nt, usn) in identity.targets where nt.caseInsensitiveEquals(target) {
            return [response(st: nt, usn: usn, identity: identity)]
        }
        return []
    }

    /// The single answer for a search target, or nil when this gateway is not what is searched
    /// (for `ssdp:all`, the gateway-type answer).
    public static func response(forTarget target: String, identity: Identity) -> String? {
        if target == "ssdp:all" {
            return response(st: SEMPDocument.gatewayType, usn: "uuid:\(identity.uuid)::\(SEMPDocument.gatewayType)", identity: identity)
        }
        return responses(to: Search(target: target, maxWaitS: nil), identity: identity).first
    }

    /// `HTTP/1.1 200 OK` with CACHE-CONTROL, EXT, LOCATION, SERVER, ST and USN.
    static func response(st: String, usn: String, identity: Identity) -> String {
        lines(["HTTP/1.1 200 OK",
               "CACHE-CONTROL: max-age=\(maxAgeS)",
               "EXT:",
               "LOCATION: \(identity.location)",
               "SERVER: \(identity.server)",
               "ST: \(st)",
               "USN: \(usn)"])
    }

    /// The `NOTIFY` messages announcing the gateway (`alive`) or its leaving (`byebye`), one per target.
    public static func notify(alive: Bool, identity: Identity) -> [String] {
        identity.targets.map { target in
            var head = ["NOTIFY * HTTP/1.1", "HOST: \(multicastHost):\(port)"]
            if alive {
                head += ["CACHE-CONTROL: max-age=\(maxAgeS)", "LOCATION: \(identity.location)", "SERVER: \(identity.server)"]
            }
            head += ["NT: \(target.nt)", "NTS: \(alive ? "ssdp:alive" : "ssdp:byebye")", "USN: \(target.usn)"]
            return lines(head)
        }
    }

    /// A search for the SEMP gateway, as an energy manager sends it.
    public static func search(target: String = SEMPDocument.gatewayType, maxWaitS: Int = 1) -> String {
        lines(["M-SEARCH * HTTP/1.1", "HOST: \(multicastHost):\(port)", "MAN: \"ssdp:discover\"", "MX: \(maxWaitS)", "ST: \(target)"])
    }

    /// The `LOCATION` header of an answer (what an energy manager follows).
    public static func location(inResponse text: String) -> String? {
        for line in text.split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            if line[..<colon].trimmed.lowercased() == "location" { return String(line[line.index(after: colon)...]).trimmed }
        }
        return nil
    }

    private static func lines(_ lines: [String]) -> String {
        lines.map { $0 + "\r\n" }.joined() + "\r\n"
    }
}

extension StringProtocol {
    var trimmed: String { String(self).trimmed }

    func caseInsensitiveEquals(_ other: some StringProtocol) -> Bool {
        lowercased() == other.lowercased()
    }
}

extension SSDP {
    /// Token buckets for SSDP answers: at most `perSource` answers a second to one source address
    /// (bursts up to that many), at most `total` a second overall, and a bounded table of sources
    /// (SSDP answers a forged source too, so the answers are what must be bounded). Pure: time comes
    /// in as monotonic nanoseconds.
    public struct RateLimiter: Sendable {
        public let perSource: Int
        public let total: Int
        public let maxSources: Int
        private var buckets: [String: Bucket] = [:]
        private var all: Bucket

        private struct Bucket: Sendable {
            var tokens: Double
            var stamp: UInt64
        }

        public init(perSource: Int = 10, total: Int = 100, maxSources: Int = 256) {
            self.perSource = max(1, perSource)
            self.total = max(1, total)
            self.maxSources = max(1, maxSources)
            all = Bucket(tokens: Double(self.total), stamp: 0)
        }

        /// Whether `cost` answers may go to `source` at `now`; if so, they are counted.
        public mutating func allow(_ source: String, cost: Int = 1, now: UInt64) -> Bool {
            let cost = Double(max(1, cost))
            refill(&all, rate: Double(total), now: now)
            guard all.tokens >= cost else { return false }
            var bucket: Bucket
            if let known = buckets[source] {
                bucket = known
                refill(&bucket, rate: Double(perSource), now: now)
            } else {
                if buckets.count >= maxSources { prune(now: now) }
                guard buckets.count < maxSources else { return false }
                bucket = Bucket(tokens: Double(perSource), stamp: now)
            }
            guard bucket.tokens >= cost else {
                buckets[source] = bucket
                return false
            }
            bucket.tokens -= cost
            all.tokens -= cost
            buckets[source] = bucket
            return true
        }

        /// Sources tracked now.
        public var sources: Int { buckets.count }

        private func refill(_ bucket: inout Bucket, rate: Double, now: UInt64) {
            guard now > bucket.stamp else { return }
            let seconds = Double(now - bucket.stamp) / 1e9
            bucket.tokens = min(rate, bucket.tokens + seconds * rate)
            bucket.stamp = now
        }

        /// Forgets sources whose buckets have filled up again (they are as if new).
        private mutating func prune(now: UInt64) {
            let perSource = Double(perSource)
            buckets = buckets.filter { _, bucket in
                now <= bucket.stamp || bucket.tokens + Double(now - bucket.stamp) / 1e9 * perSource < perSource
            }
        }
    }
}
