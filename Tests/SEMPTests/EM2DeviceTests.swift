import SEMP
import Testing

@Suite("EM2Device: what the energy manager sends, and what is refused")
struct EM2DeviceTests {
    let id = Fixtures.wallboxID

    func message(_ controls: String, root: String = "<EM2Device xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\">") -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\(root)\(controls)</EM2Device>"
    }

    func control(_ inner: String) -> String { "<DeviceControl>\(inner)</DeviceControl>" }

    @Test("A control as the Home Manager sends it")
    func homeManagerControl() throws {
        let text = message("""
            <DeviceControl>
              <DeviceId>\(id)</DeviceId>
              <On>true</On>
              <RecommendedPowerConsumption>3442</RecommendedPowerConsumption>
              <Timestamp>0</Timestamp>
            </DeviceControl>
            """)
        #expect(try SEMPDocument.parseEM2Device(text) == [SEMPControl(deviceID: id, on: true, recommendedPowerW: 3442)])
    }

    @Test("Accepted variants: no power, 0/1 booleans, a decimal power, no namespace, prefixes, several devices")
    func variants() throws {
        #expect(try SEMPDocument.parseEM2Device(message(control("<DeviceId>\(id)</DeviceId><On>false</On>")))
            == [SEMPControl(deviceID: id, on: false)])
        #expect(try SEMPDocument.parseEM2Device(message(control("<DeviceId> \(id) </DeviceId><On>1</On><RecommendedPowerConsumption>4140.6</RecommendedPowerConsumption>")))
            == [SEMPControl(deviceID: id, on: true, recommendedPowerW: 4141)])
        #expect(try SEMPDocument.parseEM2Device(message(control("<DeviceId>\(id)</DeviceId><On>0</On>"), root: "<EM2Device>"))
            == [SEMPControl(deviceID: id, on: false)])
        let prefixed = """
            <s:EM2Device xmlns:s="http://www.sma.de/communication/schema/SEMP/v1"><s:DeviceControl><s:DeviceId>\(id)</s:DeviceId>\
            <s:On>true</s:On></s:DeviceControl></s:EM2Device>
            """
        #expect(try SEMPDocument.parseEM2Device(prefixed) == [SEMPControl(deviceID: id, on: true)])
        let two = message(control("<DeviceId>\(id)</DeviceId><On>true</On>") + control("<DeviceId>\(Fixtures.carportID)</DeviceId><On>false</On>"))
        #expect(try SEMPDocument.parseEM2Device(two).map(\.deviceID) == [id, Fixtures.carportID])
        #expect(try SEMPDocument.parseEM2Device(message("")) == [])
        #expect(try SEMPDocument.parseEM2Device(message("<!-- nothing -->")) == [])
    }

    @Test("The writer's EM2Device reads back")
    func roundTrip() throws {
        let controls = [SEMPControl(deviceID: id, on: true, recommendedPowerW: 7360), SEMPControl(deviceID: Fixtures.carportID, on: false)]
        #expect(try SEMPDocument.parseEM2Device(SEMPDocument.em2Device(controls)) == controls)
    }

    static let refusals: [(String, String)] = [
        ("", "empty SEMP message"),
        ("<EM2Device xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\"><DeviceControl>", "malformed XML: "),
        ("<EM2Device><a></b></EM2Device>", "malformed XML: "),
        ("<Device2EM xmlns=\"http://www.sma.de/communication/schema/SEMP/v1\"/>", "root element <Device2EM>, expected <EM2Device> in the SEMP namespace"),
        ("<EM2Device xmlns=\"urn:other\"/>", "root element <{urn:other}EM2Device>, expected <EM2Device> in the SEMP namespace"),
        ("<EM2Device><DeviceStatus/></EM2Device>", "unknown element <DeviceStatus> in <EM2Device>"),
        ("<EM2Device>hello</EM2Device>", "text where only elements belong, in <EM2Device>"),
        ("<EM2Device><DeviceControl><On>true</On></DeviceControl></EM2Device>", "missing element <DeviceId> in <DeviceControl>"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId></DeviceControl></EM2Device>",
         "missing element <On> in <DeviceControl>"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><On>false</On></DeviceControl></EM2Device>",
         "element <On> given twice in <DeviceControl>"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><Mode>x</Mode></DeviceControl></EM2Device>",
         "unknown element <Mode> in <DeviceControl>"),
        ("<EM2Device><DeviceControl><DeviceId>garage</DeviceId><On>true</On></DeviceControl></EM2Device>",
         "<DeviceId> \"garage\": not a SEMP DeviceId (X-XXXXXXXX-XXXXXXXXXXXX-XX, hex digits)"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>yes</On></DeviceControl></EM2Device>",
         "<On> \"yes\": not a boolean (true, false, 1 or 0)"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><RecommendedPowerConsumption>lots</RecommendedPowerConsumption></DeviceControl></EM2Device>",
         "<RecommendedPowerConsumption> \"lots\": not a number"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><RecommendedPowerConsumption>1e4</RecommendedPowerConsumption></DeviceControl></EM2Device>",
         "<RecommendedPowerConsumption> \"1e4\": not a number"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><RecommendedPowerConsumption>nan</RecommendedPowerConsumption></DeviceControl></EM2Device>",
         "<RecommendedPowerConsumption> \"nan\": not a number"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><RecommendedPowerConsumption>-1380</RecommendedPowerConsumption></DeviceControl></EM2Device>",
         "<RecommendedPowerConsumption> \"-1380\": negative"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><RecommendedPowerConsumption>1000001</RecommendedPowerConsumption></DeviceControl></EM2Device>",
         "<RecommendedPowerConsumption> \"1000001\": above 1000000 W, absurd"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On><Timestamp>0.5</Timestamp></DeviceControl></EM2Device>",
         "<Timestamp> \"0.5\": not a whole number"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On><b>true</b></On></DeviceControl></EM2Device>",
         "unknown element <b> in <On>"),
        ("<!DOCTYPE EM2Device [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><EM2Device><DeviceControl><DeviceId>&x;</DeviceId><On>true</On></DeviceControl></EM2Device>",
         "document type declarations (DOCTYPE, ENTITY) are not accepted"),
        ("<EM2Device><DeviceControl><DeviceId>F-00000001-000000000001-00</DeviceId><On>true</On></DeviceControl></EM2Device><EM2Device/>",
         "malformed XML: "),
        ("<EM2Device>\u{0}</EM2Device>", "malformed XML: NUL byte at offset 11"),
    ]

    @Test("Refusals, each with its message", arguments: refusals)
    func refusal(_ text: String, _ expected: String) {
        do {
            let controls = try SEMPDocument.parseEM2Device(text)
            Issue.record("accepted: \(controls)")
        } catch {
            #expect(error.message.hasPrefix(expected), "\(error.message)")
        }
    }

    @Test("Entity expansion bombs never reach the parser")
    func billionLaughs() throws {
        let bomb = """
            <?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><EM2Device>&lol3;</EM2Device>
            """
        #expect(throws: SEMPError.doctypeForbidden) { try SEMPDocument.parseEM2Device(bomb) }
        #expect(throws: SEMPError.doctypeForbidden) { try SEMPDocument.parseEM2Device("<EM2Device><!ENTITY x \"y\"></EM2Device>") }
    }

    @Test("Size, depth, element count and control count are bounded")
    func limits() {
        let big = message(String(repeating: " ", count: 70_000))
        #expect(throws: SEMPError.tooLarge(bytes: big.utf8.count, limit: 65_536)) { try SEMPDocument.parseEM2Device(big) }
        let deep = String(repeating: "<a>", count: 20) + String(repeating: "</a>", count: 20)
        #expect(throws: SEMPError.tooComplex("nested deeper than 8 levels")) { try SEMPDocument.parseEM2Device(deep) }
        let many = message(String(repeating: control("<DeviceId>\(id)</DeviceId><On>true</On>"), count: 65))
        #expect(throws: SEMPError.tooManyControls(count: 65, limit: 64)) { try SEMPDocument.parseEM2Device(many) }
        let flat = message(String(repeating: "<x/>", count: 5000))
        #expect(throws: SEMPError.tooComplex("more than 4096 elements")) { try SEMPDocument.parseEM2Device(flat) }
        let longText = message(control("<DeviceId>\(String(repeating: "F", count: 2000))</DeviceId><On>true</On>"))
        #expect(throws: SEMPError.tooComplex("text of <DeviceId> longer than 1024 bytes")) { try SEMPDocument.parseEM2Device(longText) }
    }

    @Test("A value quoted in a message is cut short and cleaned")
    func clippedEcho() {
        let text = message(control("<DeviceId>\(id)</DeviceId><On>\(String(repeating: "x", count: 500))\u{9}</On>"))
        do {
            _ = try SEMPDocument.parseEM2Device(text)
            Issue.record("accepted")
        } catch {
            #expect(error.message == "<On> \"\(String(repeating: "x", count: 40))…\": not a boolean (true, false, 1 or 0)")
        }
    }
}
