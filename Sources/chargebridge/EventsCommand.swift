import ArgumentParser
import Foundation
import Storage
import StorageModel

/// `chargebridge events`: the event log (starts, masters, failsafe, meters, commands…) as a table
/// or JSON, newest last.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List the event log: starts and stops, masters, failsafe, meters lost and back, commands.")

    @OptionGroup var source: DatabaseOptions

    @Option(help: "Events at or after this local time (YYYY-MM-DD or YYYY-MM-DDTHH:MM, today, yesterday), or this long ago (30m, 12h, 7d).")
    var since: String?

    @Option(help: "Only events about this charger (or meter, zone, input id).") var charger: String?
    @Option(help: "Only events of this kind, e.g. failsafe-entered (or failsafe_entered); an unknown kind lists them all.") var kind: String?
    @Flag(help: "A JSON array of {time, kind, subject, detail}.") var json = false

    func validate() throws {
        if let since { _ = try Self.start(since, now: Date()) }
        if let kind { _ = try Self.kind(kind) }
    }

    /// `--since`: today, yesterday, a duration back from now, or a date.
    static func start(_ text: String, now: Date) throws -> Double {
        if let start = SinceWord.start(text, now: now, timeZone: .current) { return start }
        do {
            return try DatabaseOptions.time(text, option: "--since")
        } catch {
            throw ValidationError("--since: \"\(text)\" is neither a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM), today, yesterday, nor a time ago (30m, 12h, 7d)")
        }
    }

    /// `--kind` as stored; an unknown kind is refused rather than matching nothing.
    static func kind(_ text: String) throws -> String {
        do {
            return try EventKind.named(text).rawValue
        } catch {
            throw ValidationError("--kind: \(error)")
        }
    }

    func run() throws {
        let (store, _) = try source.open()
        let events = try store.events(from: try since.map { try Self.start($0, now: Date()) } ?? -.infinity, kind: try kind.map(Self.kind))
            .filter { event in charger.map { event.subject == $0 } ?? true }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = .current
        if json {
            let objects = events.map { ["time": formatter.string(from: Date(timeIntervalSince1970: $0.at)), "kind": $0.kind, "subject": $0.subject, "detail": $0.detail] }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        guard !events.isEmpty else { return print("no events") }
        let rows = events.map { [formatter.string(from: Date(timeIntervalSince1970: $0.at)), $0.kind, $0.subject, $0.detail] }
        let widths = (0..<3).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(zip(row.prefix(3), widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ") + "  " + row[3])
        }
        print("\(events.count) event(s)")
    }
}
