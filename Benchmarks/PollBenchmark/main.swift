// Poll benchmark: block planner versus one request per quantity, over Modbus TCP (an in-process
// simulated meter) and over a timed RTU line (Benchmarks/wire.py + a pymodbus RTU server).
// Run through Benchmarks/run.sh, which sets up the RTU line. Prints figures; asserts nothing.
//
//   PollBenchmark spec MAP                         peer spec (raw registers) for meter_server.py
//   PollBenchmark tcp MAP [POLLS]                  TCP figures against an in-process simulator
//   PollBenchmark rtu MAP DEVICE BAUD [POLLS]      RTU figures, with poll time ÷ wire time
import DataFiles
import Foundation
import LinkValues
import Modbus
import RegisterMaps
import SimulatedDevices

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("PollBenchmark: \(message)\n".utf8))
    exit(2)
}

func loadMap(_ name: String) -> RegisterMap {
    guard let path = MapCatalog.standard().resolve(name) else { fail("no map \(name)") }
    do { return try MapLoader.load(file: path) } catch { fail(error.description) }
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}

/// Bytes on the wire for one RTU read: request (8) and response (5 + data).
func frameBytes(_ block: ReadBlock) -> Int {
    let data = block.function.isBit ? (block.count + 7) / 8 : 2 * block.count
    return 8 + 5 + data
}

/// Theoretical time of one poll on the line: every character's bits, and separately the
/// 3.5-character silence that must precede each of the two frames of a transaction.
func wireMilliseconds(_ blocks: [ReadBlock], serial: SerialSettings) -> (bytes: Double, silences: Double) {
    let charMs = Double(serial.bitsPerCharacter) / Double(serial.baud) * 1000
    let silenceMs = serial.baud > 19200 ? 1.75 : 3.5 * charMs
    return (blocks.reduce(0) { $0 + Double(frameBytes($1)) * charMs }, Double(2 * blocks.count) * silenceMs)
}

/// Alternates the two plans poll by poll so both see the same machine noise.
func measure(map: RegisterMap, makeClient: () throws -> ModbusClient, polls: Int) throws -> [(String, DevicePoller, [Double])] {
    let pollers = [("block planner", DevicePoller(map: map, client: try makeClient(), coalesce: true)),
                   ("one request per quantity", DevicePoller(map: map, client: try makeClient(), coalesce: false))]
    var times = [[Double]](repeating: [], count: pollers.count)
    for round in 0..<(polls + 2) {
        for (index, (_, poller)) in pollers.enumerated() {
            let outcome = poller.poll()
            if outcome.readings.contains(where: { if case .failure(.readFailed) = $0.value { true } else { false } }) {
                fail("\(map.name): a read failed: \(outcome.readings.first { $0.number == nil }!.value)")
            }
            if round >= 2 { times[index].append(milliseconds(outcome.duration)) }   // 2 warm-up polls
        }
    }
    return pollers.enumerated().map { ($0.element.0, $0.element.1, times[$0.offset]) }
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2 else { fail("usage: see the comment at the top of main.swift") }
let map = loadMap(arguments[1])

switch arguments[0] {
case "spec":
    let meter = try SimulatedMeter(map: map)
    let image = try meter.image()
    var values: [[String: Any]] = []
    for (function, table) in image.tables {
        values.append(["function": function.rawValue, "address": table.start, "type": "raw", "value": table.values.map(Int.init)])
    }
    let data = try JSONSerialization.data(withJSONObject: ["unit": map.transport.unit, "values": values])
    FileHandle.standardOutput.write(data)

case "tcp":
    let polls = arguments.count > 2 ? Int(arguments[2]) ?? 500 : 500
    let server = try ModbusSlaveServer(listeners: [SlaveListener(host: "127.0.0.1", port: 0,
                                                                 anyUnit: RegisterImageSlave(try SimulatedMeter(map: map).image()),
                                                                 exclusive: false)])
    server.start()
    defer { server.stop() }
    let results = try measure(map: map, makeClient: {
        try ModbusClient(endpoint: .tcp(host: "127.0.0.1", port: server.ports[0]), unit: map.transport.unit)
    }, polls: polls)
    let baseline = results[1].2.sorted()[results[1].2.count / 2]
    for (name, poller, times) in results {
        let median = percentile(times, 0.5)
        print(String(format: "TCP  %-9@ %-24@ %2d req/poll  median %6.3f ms  p99 %6.3f ms  %.2f× per-quantity",
                     arguments[1] as NSString, name as NSString, poller.blocks.count, median, percentile(times, 0.99), median / baseline))
    }

case "rtu":
    guard arguments.count >= 4, let baud = Int(arguments[3]) else { fail("rtu MAP DEVICE BAUD [POLLS]") }
    let polls = arguments.count > 4 ? Int(arguments[4]) ?? 20 : 20
    let serial = SerialSettings(baud: baud, parity: .none, dataBits: 8, stopBits: 1)
    let results = try measure(map: map, makeClient: {
        try ModbusClient(endpoint: .rtu(device: arguments[2], serial: serial), unit: map.transport.unit, timeout: .seconds(2))
    }, polls: polls)
    let baseline = percentile(results[1].2, 0.5)
    for (name, poller, times) in results {
        let median = percentile(times, 0.5)
        let wire = wireMilliseconds(poller.blocks, serial: serial)
        print(String(format: "RTU  %-9@ %-24@ %2d req/poll  median %6.1f ms  wire: bytes %6.1f ms (+gaps %5.1f)  poll/wire %.2f (with gaps %.2f)  %.2f× per-quantity",
                     arguments[1] as NSString, name as NSString, poller.blocks.count, median, wire.bytes, wire.silences,
                     median / wire.bytes, median / (wire.bytes + wire.silences), median / baseline))
    }

default:
    fail("unknown mode \(arguments[0])")
}
