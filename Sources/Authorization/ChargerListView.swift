/// The local list as one charger holds it (what SendLocalList fills it with): the entries that
/// apply there — plain ones and those with its postfix, which win and lose the postfix — in the
/// form its reader presents them (byte order, letter case). Pure.
public enum ChargerListView {
    public static func entries(_ list: LocalList, rules: ChargerAuthorization) -> [String: ListEntry] {
        let format = rules.format
        let postfix = rules.postfix.map(format.entry)
        let others = rules.otherPostfixes.map(format.entry).filter { $0 != postfix }
        var plain: [String: ListEntry] = [:], specific: [String: ListEntry] = [:]
        // sorted: two entries that differ only in case give the same answer every time
        for entry in list.entries.values.sorted(by: { $0.idTag < $1.idTag }) {
            let text = format.entry(entry.idTag)
            if let postfix, text.hasSuffix(postfix), text.count > postfix.count {
                var mine = entry
                mine.idTag = format.onCharger(String(text.dropLast(postfix.count)))
                if specific[mine.idTag] == nil { specific[mine.idTag] = mine }
            } else if !others.contains(where: { text.hasSuffix($0) && text.count > $0.count }) {
                var shown = entry
                shown.idTag = format.onCharger(text)
                if plain[shown.idTag] == nil { plain[shown.idTag] = shown }
            }
        }
        return plain.merging(specific) { $1 }
    }

    /// The tags whose sessions load management gives priority, as chargers report them in
    /// sessions (in the list's form: the driver reports `format.presented(tag)`): accepted entries
    /// with `priority`, for each charger's rules.
    public static func priorityTags(_ list: LocalList, rules: [ChargerAuthorization]) -> Set<String> {
        var tags = Set<String>()
        for rule in Set(rules) {
            let postfix = rule.postfix.map(rule.format.entry)
            for entry in list.entries.values where entry.priority && entry.status == .accepted {
                let text = rule.format.entry(entry.idTag)
                if let postfix, text.hasSuffix(postfix), text.count > postfix.count {
                    tags.insert(String(text.dropLast(postfix.count)))
                } else {
                    tags.insert(text)
                }
            }
        }
        return tags
    }
}

/// What a charger's own list needs to become the new one: everything (full) when its version is
/// unknown or older than what we still know, else only the differences (differential). Pure.
public enum ListSync {
    public struct Update: Sendable, Equatable {
        public var kind: ListUpdate.Kind
        public var version: Int
        /// Sorted by id tag; an entry nil removes the tag (differential only).
        public var changes: [ListUpdate.Change]
    }

    /// `known`: the charger's list as it was at its version, when we still know it.
    public static func update(known: [String: ListEntry]?, target: [String: ListEntry], version: Int) -> Update {
        guard let known else {
            return Update(kind: .full, version: version, changes: target.keys.sorted().map { .set(target[$0]!) })
        }
        var changes: [ListUpdate.Change] = []
        for key in Set(known.keys).union(target.keys).sorted() {
            switch (known[key], target[key]) {
            case (let old, let new?) where old != new: changes.append(.set(new))
            case (_?, nil): changes.append(.remove(key))
            default: break
            }
        }
        return Update(kind: .differential, version: version, changes: changes)
    }
}
