@testable import ChargerDrivers
import EnergyControl
import RegisterMaps
import Testing

/// Status through a map's table: vendor codes to the common vocabulary, an unknown code never
/// reads as charging.
@Suite("Charger status decoding")
struct ChargerStatusDecoderTests {
    static let table = ChargerSpec.Status(
        quantity: "status.code",
        codes: [0: .init(status: .available, iec: .a), 1: .init(status: .preparing, iec: .b),
                3: .init(status: .charging, iec: .c), 7: .init(status: .faulted, iec: .f)])

    func readings(code: Double, currents: [Double] = [10, 10, 10], cable: Double? = nil) -> [Reading] {
        var readings = [Reading(name: "status.code", unit: "", value: .success(.number(code)))]
        for (index, current) in currents.enumerated() {
            readings.append(Reading(name: "current.l\(index + 1)", unit: "A", value: .success(.number(current))))
        }
        if let cable { readings.append(Reading(name: "status.cable", unit: "", value: .success(.number(cable)))) }
        readings.append(Reading(name: "energy.import", unit: "Wh", value: .success(.number(1234))))
        return readings
    }

    @Test func vendorCodesMapThroughTheTable() throws {
        let decoder = ChargerStatusDecoder(spec: Self.table)
        let charging = try #require(decoder.decode(readings(code: 3), activePhases: 3))
        #expect(charging.status.state == .charging && charging.status.charging)
        #expect(charging.status.cable == .vehicleConnected)    // IEC C: a vehicle, without a cable register
        #expect(charging.status.currents == [10, 10, 10] && charging.status.energyWh == 1234)
        #expect(charging.unknownCode == nil)
        let available = try #require(decoder.decode(readings(code: 0, currents: [0, 0, 0]), activePhases: 3))
        #expect(available.status.state == .available && available.status.cable == .noCable && !available.status.plugged)
        #expect(try #require(decoder.decode(readings(code: 7), activePhases: 3)).status.state == .faulted)
    }

    @Test func anUnknownCodeIsNeverCharging() throws {
        let decoder = ChargerStatusDecoder(spec: Self.table)
        // code 2 is not in the table, even while current flows
        let decoded = try #require(decoder.decode(readings(code: 2, currents: [16, 16, 16]), activePhases: 3))
        #expect(decoded.unknownCode == 2)
        #expect(!decoded.status.charging)
        #expect(decoded.status.state == .unavailable)
        #expect(ChargerStatusDecoder.state(of: .unknown) == .unavailable)
        #expect(Self.table.decode(code: 2) == ChargerSpec.StatusEntry(status: .unknown, iec: nil))
    }

    @Test func theCableRegisterWinsWhereTheMapHasOne() throws {
        var table = Self.table
        table.cable = "status.cable"
        table.cableCodes = [0: .noCable, 1: .cable, 2: .locked]
        let decoder = ChargerStatusDecoder(spec: table)
        #expect(try #require(decoder.decode(readings(code: 0, cable: 1), activePhases: 3)).status.cable == .cableNoVehicle)
        #expect(try #require(decoder.decode(readings(code: 3, cable: 2), activePhases: 3)).status.cable == .vehicleLocked)
        // an unlisted cable code falls back to the IEC state of the status
        #expect(try #require(decoder.decode(readings(code: 3, cable: 9), activePhases: 3)).status.cable == .vehicleConnected)
        // a declared cable register that failed: the poll is incomplete
        #expect(decoder.decode(readings(code: 3), activePhases: 3) == nil)
    }

    @Test func missingOrAbsurdValuesMakeThePollIncomplete() {
        let decoder = ChargerStatusDecoder(spec: Self.table)
        var readings = readings(code: 3)
        readings[1] = Reading(name: "current.l1", unit: "A", value: .failure(.outOfRange(500)))
        #expect(decoder.decode(readings, activePhases: 3) == nil)
        #expect(decoder.decode(self.readings(code: .nan), activePhases: 3) == nil)
    }
}
