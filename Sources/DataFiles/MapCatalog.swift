import Foundation
import NameSuggestion

/// Finds register-map files: a path as given, or a map name looked up in the map folders.
public struct MapCatalog: Sendable {
    public let folders: [String]

    /// Folders searched, in order: $CHARGEBRIDGE_REGISTERS, then `Registers/` under each data root.
    public static func standard() -> MapCatalog {
        var folders: [String] = []
        if let custom = ProcessInfo.processInfo.environment["CHARGEBRIDGE_REGISTERS"] { folders.append(custom) }
        folders += DataLocator.roots().map { "\($0)/Registers" }
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

    /// The names `map:` and `--map` take: every map file's name without folder and extension.
    public func names() -> [String] {
        files().map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    /// The error for a reference `resolve` did not find, with the nearest map name if one is near.
    public func notFound(_ reference: String) -> String {
        let name = reference.hasSuffix(".yaml") ? String(reference.dropLast(5)) : reference
        return "no register map \"\(reference)\" (a file or a name listed by `chargebridge maps`)" + Suggestion.didYouMean(name, among: names())
    }
}
