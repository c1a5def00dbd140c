import EnergyControl
import Foundation
import OCPP
import OCPPUplink
import StorageModel

/// The database as the uplink's store changes leave it: what a restart would find.
struct MemoryStore {
    var entries: [Int64: JournalEntry] = [:]
    var remoteIds: [Int64: Int] = [:]
    var state: [String: JSONValue] = [:]

    mutating func apply(_ changes: [UplinkStoreChange]) {
        for change in changes {
            switch change {
            case .append(let row): entries[row.seq] = JournalEntry(row: row)
            case .remove(let seq): entries[seq] = nil
            case .transactionId(let transaction, let remote): remoteIds[transaction] = remote
            case .forgetTransaction(let transaction): remoteIds[transaction] = nil
            case .state(let key, let value): state[key] = value.flatMap(JSONValue.parse)
            }
        }
    }

    var restored: UplinkRestored { UplinkRestored(journal: Array(entries.values), remoteIds: remoteIds, state: state) }
}

/// A forwarded charger's uplink with a scripted backend: every call the machine sends is recorded
/// and answered by `respond` (nil: left unanswered).
struct Harness {
    static let wall0 = Date(timeIntervalSince1970: 1_790_000_000)
    var machine: UplinkMachine
    var store = MemoryStore()
    var calls: [(action: String, payload: JSONValue)] = []
    var answers: [Frame] = []
    var commands: [UplinkMachine.Command] = []
    var tagAnswers: [TagAnswer] = []
    var now = 0.0
    var status = ChargerStatus()
    var nextTransactionId = 41
    var respond: (String, JSONValue, inout Int) -> JSONValue? = Harness.acceptAll

    init(settings: UplinkSettings = Harness.settings(), restored: UplinkRestored = UplinkRestored()) {
        machine = UplinkMachine(settings: settings, restored: restored)
        status.energyWh = 1000
    }

    static func settings(_ change: (inout UplinkSettings) -> Void = { _ in }) -> UplinkSettings {
        var settings = UplinkSettings(identity: UplinkIdentity(vendor: "chargebridge", model: "EVC08", serial: "CB-1"), idPrefix: "t")
        settings.meterInterval = 10
        change(&settings)
        return settings
    }

    static func acceptAll(_ action: String, _ payload: JSONValue, _ nextId: inout Int) -> JSONValue? {
        switch action {
        case "BootNotification": return ["status": "Accepted", "interval": 60, "currentTime": "2026-09-21T00:00:00Z"]
        case "StartTransaction":
            nextId += 1
            return ["transactionId": .number(Double(nextId)), "idTagInfo": ["status": "Accepted"]]
        case "Authorize", "StopTransaction": return ["idTagInfo": ["status": "Accepted"]]
        default: return [:]
        }
    }

    var wall: Date { Harness.wall0.addingTimeInterval(now) }

    mutating func take(_ output: UplinkMachine.Output) {
        store.apply(output.store)
        commands += output.commands
        tagAnswers += output.tagAnswers
        var frames = output.frames
        while !frames.isEmpty {
            let frame = frames.removeFirst()
            guard case .call(let id, let action, let payload) = frame else { answers.append(frame); continue }
            calls.append((action, payload))
            guard machine.connected, let result = respond(action, payload, &nextTransactionId) else { continue }
            let next = machine.received(Frame.result(id: id, payload: result).text, now: now, wall: wall)
            store.apply(next.store)
            commands += next.commands
            tagAnswers += next.tagAnswers
            frames += next.frames
        }
    }

    mutating func connect() { take(machine.connected(now: now)); tick() }
    mutating func disconnect() { machine.disconnected(wall: wall) }

    mutating func tick(after seconds: Double = 0) {
        now += seconds
        take(machine.tick(status: status, now: now, wall: wall))
    }

    /// The backend calls the charge point; returns the answer frame.
    mutating func backendCalls(_ action: String, _ payload: JSONValue) -> Frame? {
        let before = answers.count
        take(machine.received(Frame.call(id: "b\(answers.count)", action: action, payload: payload).text, now: now, wall: wall))
        return answers.count > before ? answers.last : nil
    }

    mutating func plug(tag: String = "") {
        status.cable = .vehicleConnected
        status.state = .preparing
        status.idTag = tag
    }

    mutating func unplug() {
        status.cable = .noCable
        status.state = .available
        status.idTag = ""
        status.currents = [0, 0, 0]
    }

    func sent(_ action: String) -> [JSONValue] { calls.filter { $0.action == action }.map(\.payload) }
}

extension Frame {
    var resultPayload: JSONValue? { if case .result(_, let payload) = self { payload } else { nil } }
    var errorCode: String? { if case .error(_, let code, _, _) = self { code } else { nil } }
}
