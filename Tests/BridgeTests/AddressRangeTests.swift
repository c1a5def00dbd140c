import LinkValues
import RegisterMaps
import ServiceConfiguration
import Testing

@Suite("AddressRange")
struct AddressRangeTests {
    @Test(arguments: ["", "/", "//", "/8", "1.2.3.4/", "1.2.3.4/33", "::1/129", "garbage", " ", " 10.0.0.0/8",
                      "10.0.0.0/8 ", "10.0.0.0/ 8", "10.0.0.0/+8", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/99999999999999999999"])
    func rejectsWhatIsNotANetwork(_ text: String) {
        #expect(AddressRange(text) == nil)
    }

    @Test func parsesNetworksAndAddresses() throws {
        let network = try #require(AddressRange("192.168.1.0/24"))
        #expect(network.prefix == 24 && network.contains([192, 168, 1, 7]) && !network.contains([192, 168, 2, 7]))
        #expect(AddressRange("127.0.0.2")?.prefix == 32)
        #expect(AddressRange("::1/128")?.bytes.count == 16)
        #expect(AddressRange("0.0.0.0/0")?.prefix == 0)
    }

    /// An invalid network in `allow_write` is a configuration error at its line, not a crash.
    @Test(arguments: ["\"\"", "\"/\"", "/8", "1.2.3.4/", "1.2.3.4/33", "\"::1/129\"", "garbage", "\" \""])
    func invalidAllowWriteNamesItsLine(_ item: String) throws {
        let text = """
            site: { name: Test }
            modbus: { mode: gateway, bind: 0.0.0.0, port: 1502, allow_write: [10.0.0.0/8, \(item)] }
            chargers:
              - id: a
            """
        do {
            _ = try Configuration.parse(text, file: "site.yaml")
            Issue.record("\(item) was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.description.hasPrefix("site.yaml:2:"))
            #expect(error.message.contains("is not an address or a network"))
        }
    }
}
