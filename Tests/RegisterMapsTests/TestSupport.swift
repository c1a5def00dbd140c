import DataFiles
import Foundation
@testable import RegisterMaps

enum Paths {
    /// The package root, found from this file's location.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let registers = root.appendingPathComponent("Registers")

    static func map(_ relative: String) throws -> RegisterMap {
        try MapLoader.load(file: registers.appendingPathComponent(relative).path)
    }
}

/// Parses an inline map, wrapping `quantities` in the required header fields.
func inlineMap(_ quantities: String, extra: String = "") throws(DataFileError) -> RegisterMap {
    let text = """
        name: Test meter
        vendor: Test
        models: []
        sources: ["unit test"]
        \(extra)
        quantities:
        \(quantities)
        """
    return try MapLoader.parse(text, file: "test.yaml")
}

func loadError(_ quantities: String, extra: String = "") -> DataFileError? {
    do {
        _ = try inlineMap(quantities, extra: extra)
        return nil
    } catch {
        return error
    }
}
