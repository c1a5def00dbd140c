import ControlCore
import EnergyControl
import Foundation
import SmartMeters

/// Parses command payloads. Every failure is a sentence for the error topic and the log.
public enum CommandPayload {
    public static func parse(_ command: CommandKind, _ payload: [UInt8], maxLength: Int,
                             on: String = "ON", off: String = "OFF") -> Result<CommandValue, CommandRejection> {
        guard payload.count <= maxLength else {
            return .failure(CommandRejection("payload of \(payload.count) bytes is longer than the \(maxLength) allowed"))
        }
        guard let raw = String(validating: payload, as: UTF8.self) else { return .failure(CommandRejection("payload is not UTF-8 text")) }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        switch command {
        case .mode:
            guard let mode = ChargeMode(rawValue: text.lowercased()) else {
                return .failure(CommandRejection("unknown mode \"\(text)\" (\(ChargeMode.allCases.map(\.rawValue).joined(separator: ", ")))"))
            }
            return .success(.mode(mode))
        case .currentLimit:
            return wholeAmperes(text).map(CommandValue.amperes)
        case .phases:
            guard text == "1" || text == "3" else { return .failure(CommandRejection("phases must be 1 or 3, got \"\(text)\"")) }
            return .success(.phases(Int(text)!))
        case .enable, .force, .input:
            return flag(text, on: on, off: off).map(CommandValue.flag)
        case .operatorLimit:
            return zoneLimit(text).map(CommandValue.zoneLimit)
        case .zoneSetpoint:
            guard case .success(let limit?) = zoneLimit(text) else {
                return .failure(CommandRejection("expected amperes (every phase) or [L1, L2, L3], got \"\(text)\""))
            }
            return .success(.zoneLimit(limit))
        case .zoneHeartbeat:
            return .success(.flag(true))   // any payload is a sign of life
        case .powerLimit:
            if ["none", "clear"].contains(text.lowercased()) { return .success(.watts(nil)) }
            guard let kilowatts = MQTTMeterValues.decimal(text), kilowatts.isFinite, (0...10_000).contains(kilowatts) else {
                return .failure(CommandRejection("expected kilowatts 0…10000 or none, got \"\(text)\""))
            }
            return .success(.watts(kilowatts * 1000))
        case .plan:
            return PlanPayload.parse(text).map(CommandValue.plan)
        }
    }

    static func wholeAmperes(_ text: String) -> Result<Int, CommandRejection> {
        // plain decimal only: "0x10" is not 16 A and "1e1" not 10 A
        guard let value = MQTTMeterValues.decimal(text) else { return .failure(CommandRejection("expected a number of amperes, got \"\(text)\"")) }
        guard value == value.rounded(), (0...1000).contains(value) else {
            return .failure(CommandRejection("expected whole amperes 0…1000, got \(text)"))
        }
        return .success(Int(value))
    }

    static func flag(_ text: String, on: String, off: String) -> Result<Bool, CommandRejection> {
        switch text.lowercased() {
        case on.lowercased(), "on", "true", "1": .success(true)
        case off.lowercased(), "off", "false", "0": .success(false)
        default: .failure(CommandRejection("expected \(on) or \(off), got \"\(text)\""))
        }
    }

    /// `32` (every phase), `[32, 32, 20]` (per phase) or `none` (cleared).
    static func zoneLimit(_ text: String) -> Result<[Double]?, CommandRejection> {
        // not "off": clearing restores the full zone limit, the opposite of switching off
        if ["none", "clear"].contains(text.lowercased()) { return .success(nil) }
        let numbers: [Double]?
        if text.hasPrefix("["), text.hasSuffix("]") {
            let items = text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
            let parsed = items.map { MQTTMeterValues.decimal($0.trimmingCharacters(in: .whitespaces)) }
            numbers = parsed.contains(nil) ? nil : parsed.compactMap { $0 }
        } else {
            numbers = MQTTMeterValues.decimal(text).map { [$0, $0, $0] }
        }
        guard let numbers, numbers.count == 3, numbers.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 10_000 }) else {
            return .failure(CommandRejection("expected amperes (every phase), [L1, L2, L3] or none, got \"\(text)\""))
        }
        return .success(numbers)
    }
}
