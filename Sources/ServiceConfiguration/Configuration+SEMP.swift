import Foundation
import LinkValues
import RegisterMaps

/// The SEMP face (`semp:`): chargers shown to an SMA Sunny Home Manager, which may switch them
/// and recommend a power (see docs/SEMP.md).
public struct SEMPSettings: Sendable, Equatable {
    /// Loopback unless configured: who can reach it can try to steer.
    public var bind = "127.0.0.1"
    /// The HTTP port (evcc serves SEMP on 7070 too).
    public var port = 7070
    /// UDP port for SSDP searches (1900 for a real Home Manager); nil: no discovery.
    public var ssdpPort: Int? = 1900
    /// Send SSDP NOTIFY announcements (multicast; only on a non-loopback address).
    public var announce = false
    /// The gateway's UPnP UUID: also the seed of every charger's SEMP DeviceId, so it must never
    /// change once the Home Manager knows the devices. Default: derived from the site's name.
    public var uuid: String?
    /// The Home Manager sends a control about once a minute: silence longer than this brings the
    /// charger's failsafe current.
    public var timeoutSeconds = 300
    /// Who may send controls (nil: `modbus.allow_write`; loopback only without either).
    public var allowWrite: [AddressRange]?
    /// The chargers shown (nil: every charger).
    public var chargers: [String]?

    static func parse(_ node: YAMLNode, site: String) throws(DataFileError) -> SEMPSettings {
        var fields = try node.fields()
        var settings = SEMPSettings()
        if let bind = fields.optional("bind") { settings.bind = try bind.string() }
        if let port = fields.optional("port") { settings.port = try port.integer(in: 1...65535) }
        if let ssdp = fields.optional("ssdp_port") {
            settings.ssdpPort = (try? ssdp.string()) == "none" ? nil : try ssdp.integer(in: 1...65535)
        }
        if let announce = fields.optional("announce") { settings.announce = try announce.bool() }
        if let uuid = fields.optional("uuid") {
            let text = try uuid.string().lowercased()
            let hex = text.filter { $0 != "-" }
            guard text.count == 36, hex.count == 32, hex.allSatisfy(\.isHexDigit) else {
                throw uuid.error("a UUID such as 3f2504e0-4f89-41d3-9a0c-0305e82c3301")
            }
            settings.uuid = text
        }
        if let timeout = fields.optional("timeout_s") { settings.timeoutSeconds = try timeout.integer(in: 5...3600) }
        if let allow = fields.optional("allow_write") { settings.allowWrite = try Configuration.parseAllowWrite(allow) }
        if let chargers = fields.optional("chargers") {
            settings.chargers = try chargers.list().map { item throws(DataFileError) in try item.string() }
        }
        try fields.finish()
        return settings
    }

    /// A stable UUID from the site's name (version-4 layout, FNV-1a digits): the same site, the same
    /// devices in the Home Manager.
    public static func derivedUUID(site: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325, second: UInt64 = 0x8422_2325_cbf2_9ce4
        for byte in "chargebridge-semp:\(site)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
            second = (second ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        let digits = Array(String(format: "%016llx%016llx", hash, second))
        var text = String(digits[0..<8]) + "-" + String(digits[8..<12]) + "-4" + String(digits[13..<16]) + "-"
        text += "a" + String(digits[17..<20]) + "-" + String(digits[20..<32])
        return text
    }
}

extension Configuration {
    /// The shown chargers exist; a SEMP port reachable from the network says who may steer.
    static func checkSEMP(_ config: Configuration, node: YAMLNode) throws(DataFileError) {
        guard let semp = config.semp else { return }
        for id in semp.chargers ?? [] where !config.chargers.contains(where: { $0.id == id }) {
            throw node.error("semp.chargers: no charger \"\(id)\" (chargers: \(config.chargers.map(\.id).joined(separator: ", ")))")
        }
        if !AddressRange.isLoopback(semp.bind), (semp.allowWrite ?? config.northbound.allowWrite) == nil {
            throw node.error("SEMP listens on \(semp.bind), reachable from the network: set semp.allow_write: [ADDRESS/BITS, …] (the Home Manager) or allow_write: any")
        }
        let listeners = config.listeners.filter { $0.what != "the SEMP face" }
        if let other = listeners.first(where: { $0.port == semp.port && ($0.host == semp.bind || ["0.0.0.0", "::"].contains($0.host) || ["0.0.0.0", "::"].contains(semp.bind)) }) {
            throw node.error("SEMP port \(semp.port) on \(semp.bind) is used by \(other.what)")
        }
    }

    /// The SEMP gateway's UUID (configured or derived from the site's name).
    public var sempUUID: String { semp?.uuid ?? SEMPSettings.derivedUUID(site: siteName) }
}
