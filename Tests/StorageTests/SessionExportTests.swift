import StorageModel
import Foundation
import Storage
import Testing

@Suite("Storage: CSV export")
struct SessionExportTests {
    let sessions = [
        SessionRecord(charger: "cp1", startedAt: 1_700_000_000, endedAt: 1_700_003_600, energyWh: 7000, idTag: "04A1B2",
                      maxCurrent: 16, periodEnergy: ["peak": 3000, "off-peak": 2500, "standard": 1500], updatedAt: 0, endReason: "unplugged")
            .with(meter: 100_000...107_000, serial: "EVC-1").with(record: 12, station: "Carport, left", effective: 3000, comment: "began 40 s before the bridge saw it"),
        SessionRecord(charger: "cp2, carport", startedAt: 1_700_000_100, energyWh: 200, idTag: "=HYPERLINK(\"x\")",
                      periodEnergy: ["retired": 200], updatedAt: 0),
    ]

    @Test func oneColumnPerTariffPeriodInTheConfiguredOrderThenOthers() {
        #expect(SessionExport.periodColumns(configured: ["peak", "off-peak"], sessions: sessions) == ["peak", "off-peak", "retired", "standard"])
        #expect(SessionExport.periodColumns(configured: [], sessions: []) == ["standard"])
        #expect(SessionExport.periodColumns(configured: ["peak"], sessions: []) == ["peak"])
    }

    @Test func rowsCarryTimesEnergiesAndSafeText() {
        let csv = SessionExport.csv(sessions, periods: ["peak", "off-peak", "retired", "standard"], timeZone: TimeZone(identifier: "UTC")!)
        let lines = csv.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines[0] == "charger,start,end,duration_s,energy_wh,id_tag,max_current_a,end_reason,meter_start_wh,meter_end_wh,charger_serial,transaction,connector,station_name,charge_type,effective_charge_s,comment,charger_transaction,energy_wh_peak,energy_wh_off-peak,energy_wh_retired,energy_wh_standard")
        #expect(lines[1] == "cp1,2023-11-14T22:13:20Z,2023-11-14T23:13:20Z,3600,7000,04A1B2,16.0,unplugged,100000,107000,EVC-1,"
                + "12,1,\"Carport, left\",badge,3000,began 40 s before the bridge saw it,4711,3000,2500,0,1500")
        // a comma is quoted; a formula in an id tag is defused before quoting
        #expect(lines[2] == "\"cp2, carport\",2023-11-14T22:15:00Z,,,200,\"'=HYPERLINK(\"\"x\"\")\",0.0,open,,,,,1,,free,0,,,0,0,200,0")
    }
}

extension SessionRecord {
    func with(meter: ClosedRange<Double>, serial: String) -> SessionRecord {
        var record = self
        record.meterStartWh = meter.lowerBound
        record.meterEndWh = meter.upperBound
        record.chargerSerial = serial
        return record
    }

    func with(record id: Int64, station: String, effective: Double, comment: String) -> SessionRecord {
        var record = self
        record.id = id
        record.stationName = station
        record.chargeType = SessionRecord.ChargeType.badge
        record.effectiveChargeSeconds = effective
        record.comment = comment
        record.chargerTransaction = "4711"
        return record
    }
}
