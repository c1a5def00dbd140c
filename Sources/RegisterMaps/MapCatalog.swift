import Foundation

/// Finds register-map files: a path as given, or a map name looked up in the map folders.
public struct MapCatalog: Sendable {
    public let folders: [String]

    /// Folders searched, in order: $CHARGEBRIDGE_REGISTERS, ./Registers, the package's Registers next
    /// to a development build, and the installed data folder.
    public static func standard(executable: String = CommandLine.arguments.first ?? "") -> MapCatalog {
        var folders: [String] = []
        if let custom = ProcessInfo.processInfo.environment["CHARGEBRIDGE_REGISTERS"] { folders.append(custom) }
        folders.append("Registers")
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for up in 1...4 {   // .build/<triple>/debug/chargebridge → package root
            var url = binary
            for _ in 0..<up { url = url.deletingLastPathComponent() }
            folders.append(url.appendingPathComponent("Registers").path)
        }
        folders.append("/usr/share/chargebridge/Registers")
        return MapCatalog(folders: folders)
    }

    public init(folders: [String]) {
        self.folders = folders
    }

    /// Every map file under the first folder that exists, sorted by path.
    public func files() -> [String] {
        let manager = FileManager.default
        guard let root = folders.first(where: { manager.fileExists(atPath: $0) }),
              let walker = manager.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
            .map { "\(root)/\($0)" }
    }

    /// Resolves `FILE` or a bare map name such as `pac2200` or `meters/pac2200`.
    public func resolve(_ reference: String) -> String? {
        let manager = FileManager.default
        if manager.fileExists(atPath: reference) { return reference }
        let name = reference.hasSuffix(".yaml") ? reference : "\(reference).yaml"
        for folder in folders {
            for candidate in ["\(folder)/\(name)", "\(folder)/meters/\(name)", "\(folder)/chargers/\(name)"]
            where manager.fileExists(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }
}
