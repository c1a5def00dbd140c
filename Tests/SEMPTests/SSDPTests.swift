import SEMP
import Testing

@Suite("SSDP: searches, answers, announcements, the rate limit")
struct SSDPTests {
    let identity = SSDP.Identity(uuid: Fixtures.uuid, location: "http://192.168.1.20:7080/uuid:\(Fixtures.uuid)/description.xml")

    func search(_ target: String, extra: String = "", mx: String? = "2") -> [UInt8] {
        var text = "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\n"
        if let mx { text += "MX: \(mx)\r\n" }
        text += "ST: \(target)\r\n\(extra)\r\n"
        return Array(text.utf8)
    }

    @Test("An M-SEARCH is read: ST, MX; header names in any case; LF line ends")
    func parse() throws {
        #expect(SSDP.parseSearch(search("ssdp:all")) == SSDP.Search(target: "ssdp:all", maxWaitS: 2))
        #expect(SSDP.parseSearch(search("upnp:rootdevice", mx: nil)) == SSDP.Search(target: "upnp:rootdevice", maxWaitS: nil))
        let lower = "M-SEARCH * HTTP/1.1\nhost:239.255.255.250:1900\nman: ssdp:discover\nst:  \(SEMPDocument.gatewayType) \nmx:1\n\n"
        #expect(SSDP.parseSearch(Array(lower.utf8)) == SSDP.Search(target: SEMPDocument.gatewayType, maxWaitS: 1))
        #expect(SSDP.parseSearch(Array(SSDP.search().utf8)) == SSDP.Search(target: SEMPDocument.gatewayType, maxWaitS: 1))
    }

    @Test("Anything but a well-formed search is nil")
    func notSearches() {
        let cases: [String] = [
            "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\n\r\n",
            "HTTP/1.1 200 OK\r\nST: ssdp:all\r\n\r\n",
            "M-SEARCH / HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:update\"\r\nST: ssdp:all\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nMX: soon\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: ssdp:all\r\nST: upnp:rootdevice\r\n\r\n",
            "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST ssdp:all\r\n\r\n",
            "",
        ]
        for text in cases {
            #expect(SSDP.parseSearch(Array(text.utf8)) == nil, "\(text)")
        }
        #expect(SSDP.parseSearch(search("ssdp:all", extra: "X-PAD: \(String(repeating: "a", count: 2100))\r\n")) == nil)
        #expect(SSDP.parseSearch([0xFF, 0xFE, 0x00]) == nil)
    }

    @Test("Which searches are answered, and with what")
    func matching() throws {
        let all = SSDP.responses(to: SSDP.Search(target: "ssdp:all", maxWaitS: 1), identity: identity)
        #expect(all.count == 3)
        #expect(all.map { $0.contains("ST: upnp:rootdevice\r\n") } == [true, false, false])
        let gateway = try #require(SSDP.responses(to: SSDP.Search(target: SEMPDocument.gatewayType, maxWaitS: 1), identity: identity).first)
        #expect(gateway == """
            HTTP/1.1 200 OK\r
            CACHE-CONTROL: max-age=1800\r
            EXT:\r
            LOCATION: http://192.168.1.20:7080/uuid:\(Fixtures.uuid)/description.xml\r
            SERVER: Linux UPnP/1.0 chargebridge/1.0\r
            ST: urn:schemas-simple-energy-management-protocol:device:Gateway:1\r
            USN: uuid:\(Fixtures.uuid)::urn:schemas-simple-energy-management-protocol:device:Gateway:1\r
            \r

            """)
        let root = SSDP.responses(to: SSDP.Search(target: "upnp:rootdevice", maxWaitS: 1), identity: identity)
        #expect(root.count == 1 && root[0].contains("USN: uuid:\(Fixtures.uuid)::upnp:rootdevice\r\n"))
        let byUUID = SSDP.responses(to: SSDP.Search(target: "uuid:\(Fixtures.uuid.uppercased())", maxWaitS: 1), identity: identity)
        #expect(byUUID.count == 1 && byUUID[0].contains("USN: uuid:\(Fixtures.uuid)\r\n"))
        for other in ["urn:schemas-upnp-org:device:MediaRenderer:1", "uuid:00000000-0000-0000-0000-000000000000",
                      "urn:schemas-simple-energy-management-protocol:device:Gateway:2", "ssdp:alive"] {
            #expect(SSDP.responses(to: SSDP.Search(target: other, maxWaitS: 1), identity: identity).isEmpty, "\(other)")
            #expect(SSDP.response(forTarget: other, identity: identity) == nil)
        }
        #expect(SSDP.location(inResponse: gateway) == identity.location)
    }

    @Test("NOTIFY alive and byebye, one per target")
    func announcements() {
        let alive = SSDP.notify(alive: true, identity: identity)
        #expect(alive.count == 3)
        #expect(alive[2] == """
            NOTIFY * HTTP/1.1\r
            HOST: 239.255.255.250:1900\r
            CACHE-CONTROL: max-age=1800\r
            LOCATION: \(identity.location)\r
            SERVER: Linux UPnP/1.0 chargebridge/1.0\r
            NT: urn:schemas-simple-energy-management-protocol:device:Gateway:1\r
            NTS: ssdp:alive\r
            USN: uuid:\(Fixtures.uuid)::urn:schemas-simple-energy-management-protocol:device:Gateway:1\r
            \r

            """)
        let bye = SSDP.notify(alive: false, identity: identity)
        #expect(bye[0] == "NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nNT: upnp:rootdevice\r\nNTS: ssdp:byebye\r\nUSN: uuid:\(Fixtures.uuid)::upnp:rootdevice\r\n\r\n")
    }

    @Test("Rate limit: a burst per source, refilled in time, bounded overall and in sources")
    func rateLimit() {
        let second: UInt64 = 1_000_000_000
        var limiter = SSDP.RateLimiter(perSource: 10, total: 100, maxSources: 4)
        var results: [Bool] = []
        for _ in 0 ..< 11 { results.append(limiter.allow("10.0.0.1", now: 0)) }
        #expect(results == Array(repeating: true, count: 10) + [false])
        results = [limiter.allow("10.0.0.2", now: 0), limiter.allow("10.0.0.1", now: second / 20),
                   limiter.allow("10.0.0.1", now: second / 10), limiter.allow("10.0.0.1", cost: 3, now: second / 10)]
        // another source has its own bucket; half a token is not one; a tenth of a second refills one
        #expect(results == [true, false, true, false])

        // a bounded table: a new source waits until a known one is forgotten (its bucket full again)
        var table = SSDP.RateLimiter(perSource: 10, total: 1000, maxSources: 2)
        results = [table.allow("10.0.0.3", cost: 10, now: 0), table.allow("10.0.0.4", cost: 10, now: 0),
                   table.allow("10.0.0.5", now: second / 2), table.allow("10.0.0.5", now: 2 * second)]
        #expect(results == [true, true, false, true])
        #expect(table.sources == 1)

        // the total: a hundred answers a second whatever the sources
        var total = SSDP.RateLimiter(perSource: 10, total: 100, maxSources: 1000)
        var granted = 0
        for index in 0 ..< 200 where total.allow("10.1.\(index / 250).\(index % 250)", now: 5 * second) { granted += 1 }
        #expect(granted == 100)
    }
}
