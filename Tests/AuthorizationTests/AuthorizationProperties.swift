import Authorization
import EnergyControl
import Foundation
import Testing

/// Random UIDs, lists and updates (fixed seed; `CB_PROPERTY_SCALE` multiplies the count).
@Suite("Authorization properties")
struct AuthorizationProperties {
    static let cases = max(1, Int((Double(400) * (ProcessInfo.processInfo.environment["CB_PROPERTY_SCALE"].flatMap(Double.init) ?? 1)).rounded()))

    typealias Draws = SeededRandom

    static func uid(_ random: inout Draws) -> String {
        let alphabet = Array("0123456789abcdefABCDEF-_xyZ")
        let length = Int.random(in: 1...12, using: &random)
        return String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
    }

    static func format(_ random: inout Draws) -> UIDFormat {
        UIDFormat(letterCase: UIDFormat.LetterCase.allCases.randomElement(using: &random)!,
                  byteOrder: UIDFormat.ByteOrder.allCases.randomElement(using: &random)!)
    }

    static func entry(_ idTag: String, _ random: inout Draws) -> ListEntry {
        ListEntry(idTag: idTag, status: TagStatus.allCases.randomElement(using: &random)!, priority: Bool.random(using: &random))
    }

    /// A few tags from a small pool, so updates touch tags the list already has.
    static func update(_ kind: ListUpdate.Kind, pool: [String], _ random: inout Draws) -> ListUpdate {
        let tags = pool.shuffled(using: &random).prefix(Int.random(in: 0...pool.count, using: &random))
        return ListUpdate(kind: kind, changes: tags.map { tag in
            kind == .differential && Bool.random(using: &random) ? .remove(tag) : .set(entry(tag, &random))
        })
    }

    /// The lookup by the folded index finds what a scan of every entry finds, whatever the case,
    /// also after updates and a round trip through JSON (the saved list).
    @Test func theIndexedLookupFindsWhatAScanFinds() throws {
        var random = Draws(seed: 2601)
        for _ in 0..<Self.cases {
            let pool = (0..<8).map { _ in Self.uid(&random) }
            var list = LocalList(entries: pool.prefix(5).map { Self.entry($0, &random) })
            try? list.apply(Self.update(.differential, pool: pool, &random))
            let saved = try JSONDecoder().decode(LocalList.self, from: JSONEncoder().encode(list))
            #expect(saved == list)
            let format = Self.format(&random), tag = pool.randomElement(using: &random)!
            let presented = Bool.random(using: &random) ? tag.uppercased() : tag.lowercased()
            let key = format.presented(presented)
            let scanned = format.letterCase == .asIs ? list.entries[key]
                : list.entries.values.filter { format.entry($0.idTag) == key }.min { $0.idTag < $1.idTag }
            #expect(saved.entry(presented: presented, format: format, postfix: nil) == scanned, "\(presented) \(format) in \(list.entries.keys.sorted())")
        }
    }

    @Test func normalisationIsIdempotentAndRoundTrips() {
        var random = Draws(seed: 26)
        for _ in 0..<Self.cases {
            let format = Self.format(&random), tag = Self.uid(&random)
            let entry = format.entry(tag)
            #expect(format.entry(entry) == entry, "case of \(tag) under \(format)")
            // normal byte order: the whole normalisation is idempotent; reversed: an involution
            if format.byteOrder == .normal { #expect(format.presented(format.presented(tag)) == format.presented(tag)) }
            // a list entry sent to the charger and presented back is that entry
            #expect(format.presented(format.onCharger(entry)) == entry, "\(tag) under \(format)")
            // and the look-up finds it
            let list = LocalList(version: 1, entries: [ListEntry(idTag: tag)])
            #expect(list.entry(presented: format.onCharger(entry), format: format, postfix: nil) != nil, "\(tag) under \(format)")
        }
    }

    @Test func differentialThenFullEqualsFull() throws {
        var random = Draws(seed: 2026)
        let pool = (0..<8).map { "T\($0)" }
        for _ in 0..<Self.cases {
            var list = LocalList()
            try list.apply(Self.update(.full, pool: pool, &random))
            var other = list
            try other.apply(Self.update(.differential, pool: pool, &random))
            let full = Self.update(.full, pool: pool, &random)
            try list.apply(full)
            try other.apply(full)
            #expect(list.entries == other.entries)
            #expect(other.entries == LocalList(entries: full.changes.compactMap(\.entry)).entries)
        }
    }

    @Test func syncBringsTheChargerToTheTarget() throws {
        var random = Draws(seed: 16)
        let pool = (0..<8).map { String(format: "%08x", $0 * 0x1111_1111) }
        for _ in 0..<Self.cases {
            var list = LocalList()
            try list.apply(Self.update(.full, pool: pool, &random))
            let rules = ChargerAuthorization(mode: .localList, format: Self.format(&random))
            let known = ChargerListView.entries(list, rules: rules)
            try list.apply(Self.update(.differential, pool: pool, &random))
            let target = ChargerListView.entries(list, rules: rules)
            let sync = ListSync.update(known: known, target: target, version: list.version)
            var charger = LocalList(version: 1, entries: Array(known.values))
            try charger.apply(ListUpdate(kind: sync.kind, version: sync.version, changes: sync.changes))
            #expect(charger.entries == target)
        }
    }
}
