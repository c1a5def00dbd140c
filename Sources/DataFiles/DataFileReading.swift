import Foundation
import RegisterMaps

// Reading data files from disk: the only place the parsers' text comes from a file (the parsers
// in RegisterMaps take text and never touch the file system or the environment).

extension YAMLNode {
    /// Reads and parses a YAML file; an unreadable file is an error naming it.
    public static func load(file path: String) throws(DataFileError) -> YAMLNode {
        try parse(try readText(path), file: path)
    }

    /// A data file's text, or an error naming it.
    public static func readText(_ path: String) throws(DataFileError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DataFileError(file: path, line: nil, field: "", message: "cannot read the file (\(error.localizedDescription))")
        }
    }
}

extension MapLoader {
    /// Reads and validates a register-map file.
    public static func load(file path: String) throws(DataFileError) -> RegisterMap {
        try parse(try YAMLNode.readText(path), file: path)
    }
}
