import Foundation

/// Settings an operator changed at run time (over MQTT): they outlive a restart. Kept in the
/// configuration's runtime-state file until the SQLite store exists (issue 7).
public struct RuntimeSettings: Codable, Sendable, Equatable {
    public struct Charger: Codable, Sendable, Equatable {
        /// A ChargeMode's raw value (validated when restored).
        public var mode: String?
        public var currentLimit: Int?
        public var enabled: Bool?
        public init(mode: String? = nil, currentLimit: Int? = nil, enabled: Bool? = nil) {
            self.mode = mode
            self.currentLimit = currentLimit
            self.enabled = enabled
        }
    }

    public var chargers: [String: Charger] = [:]
    /// Operator sub-distribution limits per zone id, amperes per phase.
    public var zoneLimits: [String: [Double]] = [:]
    /// Inputs whose value arrives over MQTT (a utility's load-shedding signal must hold across a restart).
    public var inputs: [String: Bool] = [:]

    public init() {}

    /// Every key may be missing (a file from an older version): missing means none set.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chargers = try container.decodeIfPresent([String: Charger].self, forKey: .chargers) ?? [:]
        zoneLimits = try container.decodeIfPresent([String: [Double]].self, forKey: .zoneLimits) ?? [:]
        inputs = try container.decodeIfPresent([String: Bool].self, forKey: .inputs) ?? [:]
    }
}

/// The runtime-state file: JSON, replaced atomically (temporary file, fsync, rename, fsync of the
/// folder), so a crash at any moment leaves either the old or the new settings, never half.
public struct RuntimeStore: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The saved settings; none when the file does not exist yet.
    public func load() throws -> RuntimeSettings {
        guard FileManager.default.fileExists(atPath: path) else { return RuntimeSettings() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        do {
            return try JSONDecoder().decode(RuntimeSettings.self, from: data)
        } catch {
            throw RuntimeStoreError("\(path) is not a runtime-state file: \(error)")
        }
    }

    public func save(_ settings: RuntimeSettings) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(settings)
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let temporary = path + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw RuntimeStoreError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        let failure = String(cString: strerror(errno))
        close(fd)
        guard written == data.count, synced else {
            unlink(temporary)
            throw RuntimeStoreError("cannot write \(temporary): \(failure)")
        }
        guard rename(temporary, path) == 0 else {
            let failure = String(cString: strerror(errno))
            unlink(temporary)
            throw RuntimeStoreError("cannot replace \(path): \(failure)")
        }
        let directory = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }
}

public struct RuntimeStoreError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
