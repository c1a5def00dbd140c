import Foundation
import LinkValues
import Modbus
import RegisterMaps
import Testing

/// Smart meters' own ports over real serial links (socat pseudo-terminal pairs, libserialport on
/// the bridge's end): P1 telegrams that the real `dsmr-parser` accepts (Tests/Peers/p1_meter.py),
/// decoded like the reference; the fuse loop reacting to a load step in 1 s telegrams; corrupted
/// CRCs, truncated telegrams and a pulled cable; Linky TIC frames (Tests/Peers/tic_meter.py) in
/// both modes, with bad group checksums dropped.
@Suite("Smart meters: P1 and TIC", .serialized)
struct SmartMeterTests {
    struct Meter {
        let socat: ManagedProcess
        let peer: ManagedProcess
        let bridgeEnd: String
        let valuesFile: URL

        func set(currents: [Double], voltages: [Double] = [230, 231, 229]) throws {
            let json = "{\"currents\": \(currents), \"voltages\": \(voltages)}"
            try json.write(to: valuesFile, atomically: true, encoding: .utf8)
        }

        func stop() {
            peer.stop()
            socat.stop()
        }

        /// dsmr-parser's reading of the last telegram sent.
        func reference() throws -> [String: Double] {
            let line = try #require(peer.text.split(separator: "\n").last { $0.contains("\"reference\"") })
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return try #require(object["reference"] as? [String: Double])
        }
    }

    static func meter(dsmr: String = "5", period: Double = 1, extra: [String] = []) throws -> Meter {
        let (socat, meterEnd, bridgeEnd) = try BrandEmulator.serialPair()
        let valuesFile = try TestEnvironment.temporaryFolder().appendingPathComponent("p1.json")
        let meter = Meter(socat: socat, peer: try ManagedProcess(try TestEnvironment.python, [
            TestEnvironment.peer("p1_meter.py"), "--device", meterEnd, "--dsmr", dsmr, "--period", "\(period)",
            "--values-file", valuesFile.path, "--lifetime", "120",
        ] + extra), bridgeEnd: bridgeEnd, valuesFile: valuesFile)
        try meter.set(currents: [10, -4, 6])
        try meter.peer.waitFor("ready")
        return meter
    }

    struct Version: Sendable, CustomStringConvertible {
        let dsmr: String
        let hasVoltage: Bool
        var description: String { "DSMR \(dsmr)" }
    }

    @Test(arguments: [Version(dsmr: "5", hasVoltage: true), Version(dsmr: "4", hasVoltage: true),
                      Version(dsmr: "e-mucs", hasVoltage: true), Version(dsmr: "2.2", hasVoltage: false)])
    func readDecodesWhatDsmrParserReads(_ version: Version) throws {
        let meter = try Self.meter(dsmr: version.dsmr, period: 0.3)
        defer { meter.stop() }
        let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--p1", meter.bridgeEnd, "--dsmr", version.dsmr, "--json", "--wait-s", "10"])
        #expect(read.status == 0, "\(read.stderr)")
        let ours = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stdout)")
        let reference = try meter.reference()
        func number(_ name: String) -> Double? { ours[name] as? Double }
        // the same telegram or one a few hundred ms later: the energy grows 10 Wh per telegram
        #expect(abs((number("energy.import.t1") ?? 0) - (reference["energy.import.t1"] ?? -1)) <= 100, "\(ours) vs \(reference)")
        #expect(number("power.total") == (reference["power.import"] ?? 0) - (reference["power.export"] ?? 0), "\(ours) vs \(reference)")
        if version.dsmr == "2.2" {
            #expect(number("current.l1") == nil, "DSMR 2.2 carries no per-phase current")
            return
        }
        for phase in 1...3 {
            let power = try #require(number("power.l\(phase)"))
            #expect(power == (reference["power.l\(phase).import"] ?? 0) - (reference["power.l\(phase).export"] ?? 0), "L\(phase): \(ours)")
            let voltage = number("voltage.l\(phase)") ?? reference["voltage.l\(phase)"] ?? 230
            if version.hasVoltage, let expected = reference["voltage.l\(phase)"] { #expect(number("voltage.l\(phase)") == expected) }
            // finer than the meter's whole amperes, and signed: L2 exports 4 A
            let current = try #require(number("current.l\(phase)"))
            #expect(abs(current - [10.0, -4, 6][phase - 1]) < 0.05 || abs(current - power / voltage) < 1e-6, "L\(phase): \(current) A")
            #expect(abs(abs(current) - (reference["current.l\(phase).integer"] ?? 0)) < 0.5)
        }
        #expect(number("current.l2").map { $0 < 0 } == true, "export is negative")
    }

    static func site(_ meter: Meter, chargerPort: Int) throws -> ManagedProcess {
        try FuseSite.run(FuseSite.yaml(site: "increase_interval_s: 0.5, resume_delay_s: 0, fallback_a: 0, meter_stale_s: 3",
                                       meters: "  - { id: grid, p1: { device: \(meter.bridgeEnd), dsmr: \"5\" } }", chargerPort: chargerPort),
                         chargerPort: chargerPort)
    }

    @Test func theFuseLoopReactsToEveryTelegram() throws {
        let meter = try Self.meter(period: 1)
        defer { meter.stop() }
        try meter.set(currents: [5, 5, 5])
        let chargerPort = try TestEnvironment.freePort()
        let bridge = try Self.site(meter, chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        // a 20 A step in the house at a random moment of the 1 s telegram period: the EV drops to 7 A
        var latencies: [Double] = []
        for _ in 0..<8 {
            try meter.set(currents: [5, 5, 5])
            #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(bridge.text.suffix(2000))")
            Thread.sleep(forTimeInterval: Double.random(in: 0.05...1.05))
            try meter.set(currents: [25, 25, 25])
            if let seconds = try FuseSite.waitForCurrent(client, within: 5, { $0 <= 7.01 }) { latencies.append(seconds) }
        }
        latencies.sort()
        print("P1 load step → reduced setpoint, 1 s telegrams: \(latencies.map { String(format: "%.3f", $0) }) s")
        // the goal is p99 ≤ 1.2 s; the whole suite runs in parallel, so one slow sample of 8 is allowed up to 2 s
        #expect(latencies.count == 8 && latencies[6] <= 1.2, "7 of 8 within 1.2 s: \(latencies)")
        #expect((latencies.last ?? 9) <= 2, "the slowest \(latencies.last ?? -1) s")
    }

    struct TICCase: Sendable, CustomStringConvertible {
        let mode: String
        let currents: String
        var description: String { "TIC \(mode) \(currents)" }
    }

    @Test(arguments: [TICCase(mode: "historique", currents: "12"), TICCase(mode: "historique", currents: "10,12,9"),
                      TICCase(mode: "standard", currents: "10,12,9")])
    func ticFramesAreReadAndBadChecksumsDropped(_ tic: TICCase) throws {
        let (socat, meterEnd, bridgeEnd) = try BrandEmulator.serialPair()
        defer { socat.stop() }
        // every 2nd frame with a bad group checksum: `read` reports the dropped one and prints a good one
        let peer = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("tic_meter.py"), "--device", meterEnd, "--mode", tic.mode,
                                                                  "--currents", tic.currents, "--power", "6900", "--period", "0.5",
                                                                  "--corrupt-every", "2", "--lifetime", "60"])
        defer { peer.stop() }
        try peer.waitFor("ready")
        var values: [String: Any] = [:]
        var dropped = false
        for _ in 0..<4 where !dropped {
            let read = try runCommand(try TestEnvironment.chargebridge, ["read", "--tic", bridgeEnd, "--tic-mode", tic.mode, "--json", "--wait-s", "10"])
            #expect(read.status == 0, "\(read.stderr)")
            values = try #require(try JSONSerialization.jsonObject(with: Data(read.stdout.utf8)) as? [String: Any], "\(read.stdout)")
            dropped = read.stderr.contains("telegram dropped: checksum of")
        }
        #expect(dropped, "a frame with a bad checksum is reported and not used")
        let currents = tic.currents.split(separator: ",").compactMap { Double($0) }
        for (index, current) in (currents.count == 1 ? currents + [0, 0] : currents).enumerated() {
            #expect(values["current.l\(index + 1)"] as? Double == current, "\(values)")
        }
        #expect(values["power.total"] as? Double == 6900, "\(values)")
        if tic.mode == "standard" { #expect(values["voltage.l1"] as? Double == 230, "\(values)") }
    }

    /// A Linky (standard, three-phase, 2 frames a second here) as the grid meter: a load step cuts
    /// the car, and a pulled cable loses the meter.
    @Test func aLinkyDrivesTheFuseLoopAndAPulledCableLosesIt() throws {
        let (socat, meterEnd, bridgeEnd) = try BrandEmulator.serialPair()
        defer { socat.stop() }
        let values = try TestEnvironment.temporaryFolder().appendingPathComponent("tic.json")
        func load(_ amperes: Int) throws {
            try "{\"currents\": [\(amperes), \(amperes), \(amperes)]}".write(to: values, atomically: true, encoding: .utf8)
        }
        try load(5)
        let peer = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("tic_meter.py"), "--device", meterEnd, "--mode", "standard",
                                                                  "--period", "0.5", "--values-file", values.path, "--stop-after", "60", "--lifetime", "90"])
        defer { peer.stop() }
        try peer.waitFor("ready")
        let chargerPort = try TestEnvironment.freePort()
        let bridge = try FuseSite.run(FuseSite.yaml(site: "increase_interval_s: 0.5, resume_delay_s: 0, fallback_a: 0, meter_stale_s: 3",
                                                    meters: "  - { id: grid, tic: { device: \(bridgeEnd), mode: standard }, period_ms: 500 }",
                                                    chargerPort: chargerPort), chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(bridge.text.suffix(1500))")
        try load(25)
        #expect(try FuseSite.waitForCurrent(client, within: 5) { $0 <= 7.01 && $0 > 0 } != nil, "\(bridge.text.suffix(1500))")
        // after 60 frames (30 s) nothing more arrives: the meter is lost, the car falls back to 0 A
        try bridge.waitFor("no telegram for", timeout: .seconds(45))
        #expect(try FuseSite.waitForCurrent(client, within: 10) { $0 == 0 } != nil, "\(bridge.text.suffix(1500))")
    }

    /// Off-peak from the Linky (Vestel EVC08 §16.2): the tariff the TIC counts (NTARF: HC 1, HP 2)
    /// holds and releases the car whatever the clock says.
    @Test func theLinkysTariffDecidesOffPeak() throws {
        let (socat, meterEnd, bridgeEnd) = try BrandEmulator.serialPair()
        defer { socat.stop() }
        let values = try TestEnvironment.temporaryFolder().appendingPathComponent("tic.json")
        func period(_ name: String) throws {
            try "{\"currents\": [5, 5, 5], \"period\": \"\(name)\"}".write(to: values, atomically: true, encoding: .utf8)
        }
        try period("hp")
        let peer = try ManagedProcess(try TestEnvironment.python, [TestEnvironment.peer("tic_meter.py"), "--device", meterEnd, "--mode", "standard",
                                                                  "--period", "0.5", "--values-file", values.path, "--lifetime", "120"])
        defer { peer.stop() }
        try peer.waitFor("ready")
        let chargerPort = try TestEnvironment.freePort()
        let bridge = try FuseSite.run(FuseSite.yaml(site: "increase_interval_s: 0.5, resume_delay_s: 0, fallback_a: 0, meter_stale_s: 3",
                                                    head: "load_management: { off_peak: { source: tic, windows: [\"03:00-03:01\"], random_delay_max_s: 0 } }",
                                                    meters: "  - { id: grid, tic: { device: \(bridgeEnd), mode: standard }, period_ms: 500 }",
                                                    chargerPort: chargerPort), chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        try bridge.waitFor("off-peak meter grid: tariff unknown → 2 (peak)")
        #expect(try FuseSite.waitForCurrent(client, within: 5) { $0 == 0 } != nil, "\(bridge.text.suffix(1500))")
        try period("hc")
        try bridge.waitFor("off-peak meter grid: tariff 2 → 1 (off-peak)")
        #expect(try FuseSite.waitForCurrent(client, within: 20) { $0 >= 15.99 } != nil, "\(bridge.text.suffix(1500))")
        try period("hp")
        #expect(try FuseSite.waitForCurrent(client, within: 10) { $0 == 0 } != nil, "\(bridge.text.suffix(1500))")
    }

    /// A DSMR 5 telegram that lost its version line and its CRC is dropped unless the meter is
    /// said to be DSMR 2.2 or 3, the versions that send no CRC.
    @Test func aTelegramWithoutCRCIsTakenOnlyFromAMeterConfiguredAsOld() throws {
        let meter = try Self.meter(period: 0.3, extra: ["--strip-crc"])
        defer { meter.stop() }
        let strict = try runCommand(try TestEnvironment.chargebridge, ["read", "--p1", meter.bridgeEnd, "--dsmr", "5", "--json", "--wait-s", "3"])
        #expect(strict.status != 0 && strict.stdout.isEmpty, "\(strict.stdout)")
        #expect(strict.stderr.contains("telegram dropped: telegram without a CRC"), "\(strict.stderr)")
        // a pseudo-terminal ignores the line settings: the same stream read as DSMR 3
        let old = try runCommand(try TestEnvironment.chargebridge, ["read", "--p1", meter.bridgeEnd, "--dsmr", "3", "--json", "--wait-s", "10"])
        #expect(old.status == 0, "\(old.stderr)")
        #expect(old.stdout.contains("power.total"), "\(old.stdout)")
    }

    @Test func brokenTelegramsAreDroppedAndAPulledCableLosesTheMeter() throws {
        // every 3rd telegram with a wrong CRC, every 4th cut in half; the cable pulled after 12
        let meter = try Self.meter(period: 0.5, extra: ["--corrupt-every", "3", "--truncate-every", "4", "--stop-after", "12"])
        defer { meter.stop() }
        try meter.set(currents: [5, 5, 5])
        let chargerPort = try TestEnvironment.freePort()
        let bridge = try Self.site(meter, chargerPort: chargerPort)
        defer { bridge.stop() }
        let client = try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: chargerPort), unit: 255)
        defer { client.close() }
        #expect(try FuseSite.waitForCurrent(client, within: 15) { $0 >= 15.99 } != nil, "the good telegrams drive the loop")
        try bridge.waitFor("telegram dropped: CRC", timeout: .seconds(15))
        // nothing more arrives: the grid meter is lost and the EV falls back to 0 A
        try bridge.waitFor("no telegram for", timeout: .seconds(20))
        #expect(try FuseSite.waitForCurrent(client, within: 15) { $0 == 0 } != nil, "\(bridge.text.suffix(2000))")
        // a broken telegram was never used: the corrupted power digit (9…) never reached the loop
        #expect(!bridge.text.contains("implausible"))
    }
}
