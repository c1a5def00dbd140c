import Foundation
@testable import SunSpec

/// A device's holding registers for the tests: a SunSpec chain laid out from the shipped model
/// layouts, with raw point values set by name.
struct SunSpecImage {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let models: SunSpecModelSet = {
        do { return try SunSpecModelSet.load(file: root.appendingPathComponent("Registers/sunspec/models.json").path) } catch { fatalError("\(error)") }
    }()

    var registers: [Int: UInt16] = [:]
    /// Addresses that answer with an exception.
    var refused: Set<Int> = []

    /// Lays out "SunS", each model (ID, L, zeros) and the end marker from `base`; returns each model's address.
    @discardableResult
    mutating func chain(base: Int, _ ids: [Int], modules: Int = 2, end: Bool = true) -> [Int: Int] {
        registers[base] = 0x5375
        registers[base + 1] = 0x6E53
        var address = base + 2
        var addresses: [Int: Int] = [:]
        for id in ids {
            let model = Self.models[id]!
            let length = model.length + (model.group.map { $0.length * modules } ?? 0)
            registers[address] = UInt16(id)
            registers[address + 1] = UInt16(length)
            for offset in 2..<(length + 2) { registers[address + offset] = 0 }
            if id == 160 { registers[address + 8] = UInt16(modules) }
            addresses[id] = address
            address += 2 + length
        }
        if end {
            registers[address] = 0xFFFF
            registers[address + 1] = 0
        }
        return addresses
    }

    /// Sets a fixed-block point of the model at `address` (raw words, most significant first).
    mutating func set(_ model: Int, at address: Int, _ name: String, _ words: [UInt16]) {
        let point = Self.models[model]!.point(name)!
        for (index, word) in words.enumerated() { registers[address + point.offset + index] = word }
    }

    mutating func set(_ model: Int, at address: Int, _ name: String, int value: Int) {
        let point = Self.models[model]!.point(name)!
        let words = (0..<point.size).map { UInt16(truncatingIfNeeded: value >> (16 * (point.size - 1 - $0))) }
        set(model, at: address, name, words)
    }

    mutating func set(_ model: Int, at address: Int, _ name: String, float value: Float) {
        let bits = value.bitPattern
        set(model, at: address, name, [UInt16(bits >> 16), UInt16(bits & 0xFFFF)])
    }

    /// What a Modbus read returns: nil (an exception) when any register is missing or refused.
    func read(_ address: Int, _ count: Int) -> [UInt16]? {
        var words: [UInt16] = []
        for register in address..<(address + count) {
            guard let word = registers[register], !refused.contains(register) else { return nil }
            words.append(word)
        }
        return words
    }

    /// The blocks of a discovered chain, read like the poller reads them.
    func blocks(_ chain: SunSpecChain) -> [SunSpecBlock] {
        chain.models.compactMap { entry in
            guard let model = Self.models[entry.id], let words = SunSpecDiscovery.readBlock(entry, read) else { return nil }
            return SunSpecBlock(model: model, words: words)
        }
    }
}
