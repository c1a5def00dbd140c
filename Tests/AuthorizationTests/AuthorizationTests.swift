import Authorization
import Foundation
import Testing

@Suite("Authorization")
struct AuthorizationTests {
    let now = Date(timeIntervalSince1970: 1_750_000_000)

    func rules(_ mode: AuthorizationMode, _ offline: OfflineAuthorization = .localList, case letterCase: UIDFormat.LetterCase = .asIs,
               order: UIDFormat.ByteOrder = .normal, postfix: String? = nil) -> ChargerAuthorization {
        ChargerAuthorization(mode: mode, offline: offline, format: UIDFormat(letterCase: letterCase, byteOrder: order), postfix: postfix)
    }

    // Powerstation TWO (Bender CC613) manual §5.3: one card, four representations.
    @Test func benderRepresentationsOfOneCard() {
        #expect(UIDFormat(letterCase: .lower).presented("0A0E9B83") == "0a0e9b83")
        #expect(UIDFormat(letterCase: .upper).presented("0a0e9b83") == "0A0E9B83")
        #expect(UIDFormat(letterCase: .lower, byteOrder: .reversed).presented("0a0e9b83") == "839b0e0a")
        #expect(UIDFormat(letterCase: .upper, byteOrder: .reversed).presented("0a0e9b83") == "839B0E0A")
        #expect(UIDFormat(letterCase: .upper, byteOrder: .reversed).presented("839b0e0a") == "0A0E9B83")
        #expect(UIDFormat().presented("0a0E9b83") == "0a0E9b83")
    }

    @Test func everyRepresentationFindsTheListEntry() {
        let list = LocalList(version: 1, entries: [ListEntry(idTag: "0A0E9B83")])
        for presented in ["0a0e9b83", "0A0E9B83"] {
            #expect(Authorizer.decide(tag: presented, rules: rules(.localList, case: .upper), list: list, at: now).accepted)
        }
        for presented in ["839b0e0a", "839B0E0A"] {
            #expect(Authorizer.decide(tag: presented, rules: rules(.localList, case: .lower, order: .reversed), list: list, at: now).accepted)
            #expect(!Authorizer.decide(tag: presented, rules: rules(.localList, case: .upper), list: list, at: now).accepted)
        }
        // as_is compares exactly
        #expect(Authorizer.decide(tag: "0a0e9b83", rules: rules(.localList), list: list, at: now).status == .invalid)
    }

    @Test func onlyEvenHexIsReversed() {
        #expect(UIDFormat.reversedBytes("0a0e9b8") == "0a0e9b8")
        #expect(UIDFormat.reversedBytes("card-12") == "card-12")
        #expect(UIDFormat.reversedBytes("") == "")
        #expect(UIDFormat.reversedBytes("a1b2") == "b2a1")
    }

    @Test func postfixRestrictsAnEntryToItsCharger() {
        // Bender §5.5: an entry for charge point 1 (master) only, refused at charge point 2 (slave)
        let list = LocalList(version: 1, entries: [ListEntry(idTag: "0A0E9B83_1"), ListEntry(idTag: "11223344")])
        let master = rules(.localList, case: .upper, postfix: "_1"), slave = rules(.localList, case: .upper, postfix: "_2")
        #expect(Authorizer.decide(tag: "0a0e9b83", rules: master, list: list, at: now).accepted)
        #expect(Authorizer.decide(tag: "0a0e9b83", rules: slave, list: list, at: now).status == .invalid)
        #expect(Authorizer.decide(tag: "11223344", rules: slave, list: list, at: now).accepted)
        // the entry meant for the charger wins over the plain one
        let both = LocalList(version: 1, entries: [ListEntry(idTag: "AA", status: .blocked), ListEntry(idTag: "AA_1")])
        #expect(Authorizer.decide(tag: "aa", rules: master, list: both, at: now).accepted)
        #expect(Authorizer.decide(tag: "aa", rules: slave, list: both, at: now).status == .blocked)
    }

    @Test func statusesAndExpiry() {
        let list = LocalList(version: 3, entries: [
            ListEntry(idTag: "A1", expiry: now.addingTimeInterval(60), parentIdTag: "FLEET"),
            ListEntry(idTag: "B2", status: .blocked),
            ListEntry(idTag: "C3", status: .expired),
            ListEntry(idTag: "D4", expiry: now),
        ])
        let local = rules(.localList)
        let a = Authorizer.decide(tag: "A1", rules: local, list: list, at: now)
        #expect(a.status == .accepted && a.parentIdTag == "FLEET" && a.expiry == now.addingTimeInterval(60))
        #expect(Authorizer.decide(tag: "A1", rules: local, list: list, at: now.addingTimeInterval(60)).status == .expired)
        #expect(Authorizer.decide(tag: "B2", rules: local, list: list, at: now).status == .blocked)
        #expect(Authorizer.decide(tag: "C3", rules: local, list: list, at: now).status == .expired)
        #expect(Authorizer.decide(tag: "D4", rules: local, list: list, at: now).status == .expired)
        #expect(Authorizer.decide(tag: "E5", rules: local, list: list, at: now).status == .invalid)
        // accept_all and autostart: anything but what the list blocks or lets expire
        for mode in [AuthorizationMode.acceptAll, .autostart] {
            #expect(Authorizer.decide(tag: "E5", rules: rules(mode), list: list, at: now).accepted)
            #expect(Authorizer.decide(tag: "B2", rules: rules(mode), list: list, at: now).status == .blocked)
        }
    }

    @Test func backendAndItsOfflineModes() {
        let list = LocalList(version: 1, entries: [ListEntry(idTag: "A1"), ListEntry(idTag: "B2", status: .blocked)])
        let backend = rules(.backend, .localList)
        #expect(Authorizer.decide(tag: "Z9", rules: backend, list: list, backend: .answered(.accepted), at: now).accepted)
        #expect(Authorizer.decide(tag: "A1", rules: backend, list: list, backend: .answered(.blocked), at: now).status == .blocked)
        #expect(Authorizer.decide(tag: "A1", rules: backend, list: list, backend: .answered(.accepted, expiry: now), at: now).status == .expired)
        // unreachable (or not asked): the offline mode
        #expect(Authorizer.decide(tag: "A1", rules: backend, list: list, backend: .unreachable, at: now).accepted)
        #expect(Authorizer.decide(tag: "Z9", rules: backend, list: list, at: now).status == .invalid)
        #expect(Authorizer.decide(tag: "Z9", rules: rules(.backend, .acceptAll), list: list, at: now).accepted)
        #expect(Authorizer.decide(tag: "B2", rules: rules(.backend, .acceptAll), list: list, at: now).status == .blocked)
        let rejected = Authorizer.decide(tag: "A1", rules: rules(.backend, .reject), list: list, at: now)
        #expect(rejected.status == .invalid && rejected.reason.contains("offline reject"))
    }

    @Test func levelsResolveChargerOverZoneOverSite() {
        let site = AuthorizationOverride(mode: .localList, offline: .reject, letterCase: .upper)
        let zone = AuthorizationOverride(mode: .acceptAll)
        let charger = AuthorizationOverride(byteOrder: .reversed)
        let resolved = ChargerAuthorization.resolve([charger, zone, site], postfix: "_1")
        #expect(resolved == ChargerAuthorization(mode: .acceptAll, offline: .reject, format: UIDFormat(letterCase: .upper, byteOrder: .reversed), postfix: "_1"))
        #expect(ChargerAuthorization.resolve([AuthorizationOverride(mode: .backend), zone, site], postfix: "").mode == .backend)
        #expect(ChargerAuthorization.resolve([], postfix: nil) == ChargerAuthorization())
    }

    @Test func fullAndDifferentialUpdates() throws {
        var list = LocalList()
        try list.apply(ListUpdate(kind: .full, changes: [.set(ListEntry(idTag: "A")), .set(ListEntry(idTag: "B"))]))
        #expect(list.version == 1 && list.count == 2)
        try list.apply(ListUpdate(kind: .differential, changes: [.remove("A"), .set(ListEntry(idTag: "B", status: .blocked)), .set(ListEntry(idTag: "C"))]))
        #expect(list.version == 2 && Set(list.entries.keys) == ["B", "C"] && list.entries["B"]?.status == .blocked)
        try list.apply(ListUpdate(kind: .full, version: 10, changes: [.set(ListEntry(idTag: "D"))]))
        #expect(list.version == 10 && Set(list.entries.keys) == ["D"])
        // refused whole, nothing changed
        let before = list
        #expect(throws: LocalList.Refusal.self) { try list.apply(ListUpdate(kind: .full, changes: [.remove("D")])) }
        #expect(throws: LocalList.Refusal.self) { try list.apply(ListUpdate(kind: .differential, version: 10, changes: [])) }
        #expect(throws: LocalList.Refusal.self) { try list.apply(ListUpdate(kind: .differential, changes: [.set(ListEntry(idTag: "E")), .remove("E")])) }
        #expect(throws: LocalList.Refusal.self) { try list.apply(ListUpdate(kind: .differential, changes: [.set(ListEntry(idTag: "has space"))])) }
        #expect(throws: LocalList.Refusal.self) { try list.apply(ListUpdate(kind: .differential, changes: [.set(ListEntry(idTag: String(repeating: "A", count: 37)))])) }
        #expect(list == before)
    }

    @Test func chargerViewAndSync() {
        let list = LocalList(version: 4, entries: [
            ListEntry(idTag: "0a0e9b83"), ListEntry(idTag: "11223344_2", status: .blocked), ListEntry(idTag: "55667788_1", priority: true),
        ])
        var master = rules(.localList, case: .upper, order: .reversed, postfix: "_1")
        master.otherPostfixes = ["_2"]
        let view = ChargerListView.entries(list, rules: master)
        #expect(Set(view.keys) == ["839B0E0A", "88776655"])
        #expect(ChargerListView.priorityTags(list, rules: [master]) == ["55667788"])
        let full = ListSync.update(known: nil, target: view, version: 4)
        #expect(full.kind == .full && full.changes.map(\.idTag) == ["839B0E0A", "88776655"])
        var smaller = view
        smaller["839B0E0A"] = nil
        smaller["01020304"] = ListEntry(idTag: "01020304", status: .blocked)
        let differential = ListSync.update(known: view, target: smaller, version: 5)
        #expect(differential.kind == .differential)
        #expect(differential.changes == [.set(ListEntry(idTag: "01020304", status: .blocked)), .remove("839B0E0A")])
    }
}
