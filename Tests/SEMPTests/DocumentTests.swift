import SEMP
import Testing

@Suite("Device2EM, device description, DeviceId")
struct DocumentTests {
    let now = 1_700_000_000.0

    @Test("DeviceId: stable, well-formed, distinct per charger and per seed")
    func deviceIDs() {
        let id = SEMPDevice.deviceID(for: "garage", seed: Fixtures.uuid)
        #expect(id == SEMPDevice.deviceID(for: "garage", seed: Fixtures.uuid))
        #expect(SEMPDevice.isValidID(id))
        #expect(id.hasPrefix("F-") && id.hasSuffix("-00") && id.count == 26)
        #expect(id == id.uppercased())
        #expect(id != SEMPDevice.deviceID(for: "carport", seed: Fixtures.uuid))
        #expect(id != SEMPDevice.deviceID(for: "garage", seed: "another installation"))
        // one installation, one range: the 8 digits come from the seed only
        #expect(id.split(separator: "-")[1] == SEMPDevice.deviceID(for: "carport", seed: Fixtures.uuid).split(separator: "-")[1])
        // the value does not depend on the process (Swift's Hasher is seeded per run; this is not)
        #expect(SEMPDevice.deviceID(for: "", seed: "") == SEMPDevice.deviceID(for: "", seed: ""))
        #expect(SEMPDevice.isValidID("0-000015BB-003017703280-00"))
        #expect(!SEMPDevice.isValidID("F-0000000G-000000000001-00"))
        #expect(!SEMPDevice.isValidID("F-00000001-000000000001"))
        #expect(!SEMPDevice.isValidID("FF-00000001-000000000001-00"))
    }

    @Test("Device2EM: golden fragments in the SEMP namespace and order")
    func goldenFragments() {
        let xml = SEMPDocument.device2EM([Fixtures.wallbox], now: now)
        #expect(xml.hasPrefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Device2EM xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\">\n"))
        #expect(xml.contains("""
            <Identification>
                  <DeviceId>\(Fixtures.wallboxID)</DeviceId>
                  <DeviceName>Garage &lt;left&gt; &amp; &quot;right&quot;</DeviceName>
                  <DeviceType>EVCharger</DeviceType>
                  <DeviceSerial>EVC04-0042</DeviceSerial>
                  <DeviceVendor>Vestel</DeviceVendor>
                </Identification>
            """))
        #expect(xml.contains("""
                <Characteristics>
                  <MaxPowerConsumption>11040</MaxPowerConsumption>
                  <MinPowerConsumption>1380</MinPowerConsumption>
                </Characteristics>
            """))
        #expect(xml.contains("<CurrentPower>\n        <Method>Measurement</Method>\n      </CurrentPower>"))
        #expect(xml.contains("<AbsoluteTimestamps>false</AbsoluteTimestamps>"))
        #expect(xml.contains("<InterruptionsAllowed>true</InterruptionsAllowed>"))
        #expect(xml.contains("<OptionalEnergy>true</OptionalEnergy>"))
        #expect(xml.contains("""
              <DeviceStatus>
                <DeviceId>\(Fixtures.wallboxID)</DeviceId>
                <EMSignalsAccepted>true</EMSignalsAccepted>
                <Status>On</Status>
                <PowerConsumption>
                  <PowerInfo>
                    <AveragePower>4140</AveragePower>
                    <Timestamp>0</Timestamp>
                    <AveragingInterval>60</AveragingInterval>
                  </PowerInfo>
                </PowerConsumption>
              </DeviceStatus>
            """))
        #expect(xml.contains("""
              <PlanningRequest>
                <Timeframe>
                  <DeviceId>\(Fixtures.wallboxID)</DeviceId>
                  <EarliestStart>0</EarliestStart>
                  <LatestEnd>86400</LatestEnd>
                  <MinEnergy>2000</MinEnergy>
                  <MaxEnergy>30000</MaxEnergy>
                  <MaxPowerConsumption>11040</MaxPowerConsumption>
                  <MinPowerConsumption>1380</MinPowerConsumption>
                </Timeframe>
              </PlanningRequest>
            """))
        #expect(xml.hasSuffix("</Device2EM>\n"))
    }

    @Test("Device2EM: all DeviceInfo, then all DeviceStatus, then the PlanningRequests")
    func sectionOrder() throws {
        let xml = SEMPDocument.device2EM([Fixtures.wallbox, Fixtures.carport], now: now)
        let infos = xml.ranges(of: "<DeviceInfo>").map(\.lowerBound)
        let statuses = xml.ranges(of: "<DeviceStatus>").map(\.lowerBound)
        let plans = xml.ranges(of: "<PlanningRequest>").map(\.lowerBound)
        #expect(infos.count == 2 && statuses.count == 2 && plans.count == 1)
        #expect(try #require(infos.last) < #require(statuses.first))
        #expect(try #require(statuses.last) < #require(plans.first))
    }

    @Test("Device2EM round trip: what an energy manager reads back is what was put in")
    func roundTrip() throws {
        var device = Fixtures.wallbox
        device.departure = now + 3 * 3600
        let report = try SEMPDocument.parseDevice2EM(SEMPDocument.device2EM([device, Fixtures.carport], now: now))
        #expect(report.infos == [
            SEMPReport.Info(id: device.id, name: device.name, type: "EVCharger", serial: "EVC04-0042", vendor: "Vestel",
                            minPowerW: 1380, maxPowerW: 11_040),
            SEMPReport.Info(id: Fixtures.carportID, name: "Carport", type: "EVCharger", serial: "2W2212", vendor: "ABL",
                            minPowerW: 1380, maxPowerW: 22_080),
        ])
        #expect(report.statuses == [
            SEMPReport.Status(id: device.id, emSignalsAccepted: true, status: "On", powerW: 4140),
            SEMPReport.Status(id: Fixtures.carportID, emSignalsAccepted: false, status: "Off", powerW: 0),
        ])
        #expect(report.timeframes == [
            SEMPTimeframe(deviceID: device.id, earliestStartS: 0, latestEndS: 10_800, minEnergyWh: 2000, maxEnergyWh: 30_000,
                          minPowerW: 1380, maxPowerW: 11_040),
        ])
    }

    @Test("Names survive any text: markup, quotes, controls, non-Latin")
    func escaping() throws {
        var device = Fixtures.carport
        device.name = "<script>&amp;\u{1}\u{7} ' \" ]]> Ladepunkt Süd 充电"
        let report = try SEMPDocument.parseDevice2EM(SEMPDocument.device2EM([device], now: now))
        #expect(report.infos.first?.name == "<script>&amp;\u{FFFD}\u{FFFD} ' \" ]]> Ladepunkt Süd 充电")
        #expect(xmlEscaped("a&b<c>d\"e'f") == "a&amp;b&lt;c&gt;d&quot;e&apos;f")
    }

    @Test("Planning: no vehicle, no request; a full vehicle, no request")
    func noRequest() {
        #expect(SEMPDocument.timeframe(for: Fixtures.carport, now: now) == nil)
        var full = Fixtures.wallbox
        full.maxEnergyWh = 0
        #expect(SEMPDocument.timeframe(for: full, now: now) == nil)
        #expect(!SEMPDocument.device2EM([full], now: now).contains("PlanningRequest"))
    }

    @Test("Planning: unknown need — optional energy, what the window allows, capped")
    func unknownNeed() throws {
        var device = Fixtures.carport
        device.connected = true
        let day = try #require(SEMPDocument.timeframe(for: device, now: now))
        #expect(day == SEMPTimeframe(deviceID: device.id, earliestStartS: 0, latestEndS: 86_400, minEnergyWh: 0,
                                     maxEnergyWh: SEMPDocument.unknownDemandCapWh, minPowerW: 1380, maxPowerW: 22_080))
        let hour = try #require(SEMPDocument.timeframe(for: device, now: now, plannerHorizonS: 3600))
        #expect(hour.latestEndS == 3600 && hour.maxEnergyWh == 22_080 && hour.minEnergyWh == 0)
    }

    @Test("Planning: a departure sets the deadline; once passed, nothing is owed")
    func departure() throws {
        var device = Fixtures.wallbox
        device.departure = now + 7200
        let ahead = try #require(SEMPDocument.timeframe(for: device, now: now))
        #expect(ahead.latestEndS == 7200 && ahead.minEnergyWh == 2000)
        device.departure = now - 10
        let passed = try #require(SEMPDocument.timeframe(for: device, now: now))
        #expect(passed.latestEndS == 86_400 && passed.minEnergyWh == 0 && passed.maxEnergyWh == 30_000)
        device.minEnergyWh = 50_000
        device.departure = nil
        #expect(try #require(SEMPDocument.timeframe(for: device, now: now)).minEnergyWh == 30_000)
    }

    @Test("Power values are never negative nor absurd in the document")
    func powerBounds() throws {
        var device = Fixtures.wallbox
        device.powerW = -50
        device.maxPowerW = 5_000_000
        let report = try SEMPDocument.parseDevice2EM(SEMPDocument.device2EM([device], now: now))
        #expect(report.statuses.first?.powerW == 0)
        #expect(report.infos.first?.maxPowerW == SEMPDocument.maxPowerW)
    }

    @Test("Device description: a Gateway:1 root device whose X_SEMPSERVICE points at the server")
    func deviceDescription() throws {
        let xml = SEMPDocument.deviceDescription(uuid: Fixtures.uuid, serverURL: "http://192.168.1.20:7080", basePath: "/semp",
                                                 friendlyName: "chargebridge <garage>")
        #expect(xml.contains("<root xmlns=\"urn:schemas-upnp-org:device-1-0\">"))
        #expect(xml.contains("<deviceType>urn:schemas-simple-energy-management-protocol:device:Gateway:1</deviceType>"))
        #expect(xml.contains("<friendlyName>chargebridge &lt;garage&gt;</friendlyName>"))
        #expect(xml.contains("<UDN>uuid:\(Fixtures.uuid)</UDN>"))
        #expect(xml.contains("""
                <semp:X_SEMPSERVICE xmlns:semp="urn:schemas-simple-energy-management-protocol:service-1-0">
                  <semp:server>http://192.168.1.20:7080</semp:server>
                  <semp:basePath>/semp</semp:basePath>
                  <semp:transport>HTTP/Pull</semp:transport>
                  <semp:exchangeFormat>XML</semp:exchangeFormat>
                  <semp:wsVersion>1.1.5</semp:wsVersion>
                </semp:X_SEMPSERVICE>
            """))
        let parsed = try SEMPDocument.parseDeviceDescription(Array(xml.utf8))
        #expect(parsed.udn == "uuid:\(Fixtures.uuid)" && parsed.server == "http://192.168.1.20:7080" && parsed.basePath == "/semp")
    }
}
