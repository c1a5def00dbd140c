import Foundation

/// A value as JSON text with sorted keys (stable, so equal values give equal text).
package enum SortedJSON {
    package static func text(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
