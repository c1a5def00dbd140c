import Foundation

/// Finds the project's data files (Registers/, Mappings/, etc/) whether chargebridge runs from the
/// source tree, a development build, or an installation.
public enum DataLocator {
    /// Roots searched in order: $CHARGEBRIDGE_DATA, the working directory, the package root of a
    /// development build (.build/<triple>/debug/chargebridge), /usr/share/chargebridge.
    public static func roots(executable: String = CommandLine.arguments.first ?? "") -> [String] {
        var roots: [String] = []
        if let custom = ProcessInfo.processInfo.environment["CHARGEBRIDGE_DATA"] { roots.append(custom) }
        roots.append(FileManager.default.currentDirectoryPath)
        var url = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 1...4 {
            url = url.deletingLastPathComponent()
            roots.append(url.path)
        }
        roots.append("/usr/share/chargebridge")
        return roots
    }

    /// An absolute or existing path as given; otherwise the first root that has it.
    public static func locate(_ path: String) -> String? {
        let manager = FileManager.default
        if path.hasPrefix("/") || manager.fileExists(atPath: path) { return manager.fileExists(atPath: path) ? path : nil }
        return roots().map { "\($0)/\(path)" }.first { manager.fileExists(atPath: $0) }
    }
}
