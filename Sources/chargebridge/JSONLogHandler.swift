import Foundation
import Logging

/// One JSON object per line on standard error (`--log-format json`): for journald/Loki/Elastic
/// pipelines that index fields (`charger`, `site`, …) rather than parse text.
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .notice
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var object: [String: String] = ["level": event.level.rawValue, "label": label, "message": "\(event.message)", "source": event.source]
        object["time"] = Date().formatted(Self.timeFormat)
        for (key, value) in metadata.merging(metadataProvider?.get() ?? [:], uniquingKeysWith: { $1 })
            .merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) where object[key] == nil {
            object[key] = "\(value)"
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        FileHandle.standardError.write(data)
    }

    /// Made once (a formatter per line would allocate on every log call).
    static let timeFormat = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
}
