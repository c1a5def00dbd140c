import Authorization
import Foundation
import RegisterMaps
import ServiceConfiguration
import Testing

@Suite("Authorization configuration")
struct AuthorizationConfigurationTests {
    static let site = """
        authorization:
          mode: backend
          offline: reject
          uid: { case: upper }
          tags:
            - 0A0E9B83
            - { id_tag: 11223344_1, status: Blocked, expiry: "2030-01-01T00:00:00Z", parent_id_tag: FLEET, priority: true }
        load_management:
          zones:
            - { id: garage, limit_a: 32, authorization: { mode: local_list } }
            - { id: bay, parent: garage, limit_a: 16 }
            - { id: hall, parent: garage, limit_a: 16, authorization: { uid: { case: lower } } }
            - { id: yard, limit_a: 16 }
        chargers:
          - { id: a, zone: bay, modbus: { port: 1502 }, uid_postfix: _1, authorization: { uid: { byte_order: reversed } } }
          - { id: b, zone: hall, modbus: { port: 1503 }, uid_postfix: _2 }
          - { id: c, zone: yard, modbus: { port: 1504 } }
        """

    @Test func levelsListAndPostfixAreRead() throws {
        let configuration = try Configuration.parse(Self.site, file: "site.yaml")
        let rules = configuration.authorizationRules
        // a: its own byte order, the zone's (through its parent) mode, the site's case and offline mode
        var expected = ChargerAuthorization(mode: .localList, offline: .reject, format: UIDFormat(letterCase: .upper, byteOrder: .reversed), postfix: "_1")
        expected.otherPostfixes = ["_2"]
        #expect(rules[0] == expected)
        #expect(rules[1].mode == .localList && rules[1].format == UIDFormat(letterCase: .lower) && rules[1].postfix == "_2")
        #expect(rules[2].mode == .backend && rules[2].offline == .reject)
        let list = configuration.initialList
        #expect(list.version == 1 && list.count == 2)
        let entry = try #require(list.entries["11223344_1"])
        #expect(entry.status == .blocked && entry.parentIdTag == "FLEET" && entry.priority && entry.expiry == Date(timeIntervalSince1970: 1_893_456_000))
    }

    @Test func theOldFormJoinsTheListAndMakesItAListSite() throws {
        let yaml = """
            ocpp: { authorize: [CARD1, CARD2] }
            chargers:
              - { id: a, driver: ocpp, ocpp: { password: secret-123 } }
            """
        let configuration = try Configuration.parse(yaml, file: "old.yaml")
        #expect(Set(configuration.initialList.entries.keys) == ["CARD1", "CARD2"])
        #expect(configuration.authorizationRules[0].mode == .localList)
        let open = try Configuration.parse("ocpp: { authorize: all }\nchargers:\n  - { id: a, driver: ocpp, ocpp: { password: secret-123 } }\n", file: "all.yaml")
        #expect(open.authorizationRules[0].mode == .acceptAll && open.initialList.count == 0)
    }

    @Test(arguments: [
        ("authorization: { mode: sometimes }\nchargers:\n  - { id: a }\n", "site.yaml:1", "not one of local_list, accept_all, autostart, backend"),
        ("authorization: { uid: { case: title } }\nchargers:\n  - { id: a }\n", "site.yaml:1", "not one of upper, lower, as_is"),
        ("authorization:\n  tags:\n    - good\n    - has space\nchargers:\n  - { id: a }\n", "site.yaml:4", "printable ASCII"),
        ("authorization:\n  tags: [A, A]\nchargers:\n  - { id: a }\n", "site.yaml:2", "appears twice"),
        ("chargers:\n  - { id: a, uid_postfix: \"a long postfix\" }\n", "site.yaml:2", "a postfix is 1–8"),
        ("chargers:\n  - { id: a, authorization: { list_file: x } }\n", "site.yaml:2", "list_file"),
    ])
    func mistakesNameTheirPlace(yaml: String, place: String, message: String) {
        do {
            _ = try Configuration.parse(yaml, file: "site.yaml")
            Issue.record("accepted: \(yaml)")
        } catch {
            #expect(error.description.hasPrefix(place) && error.description.contains(message), "\(error)")
        }
    }

    @Test func mqttPayloadsAndListFiles() throws {
        let update = try ListPayload.update(Array(#"{"update": "differential", "version": 5, "entries": [{"id_tag": "A"}, {"id_tag": "B", "status": "Expired"}]}"#.utf8),
                                            source: "authorization/list/set").get()
        #expect(update == ListUpdate(kind: .differential, version: 5, changes: [.remove("A"), .set(ListEntry(idTag: "B", status: .expired))]))
        // a plain tag in a differential is ambiguous: refused
        #expect(throws: DataFileError.self) { try ListPayload.update(Array(#"{"update": "differential", "entries": ["A"]}"#.utf8), source: "t").get() }
        #expect(throws: DataFileError.self) { try ListPayload.update(Array(#"{"update": "sometimes", "entries": []}"#.utf8), source: "t").get() }
        #expect(throws: DataFileError.self) { try ListPayload.update(Array(#"{"update": "full", "entries": [{"id_tag": "A", "expiry": "soon"}]}"#.utf8), source: "t").get() }
        #expect(throws: DataFileError.self) { try ListPayload.update([0xFF, 0xFE], source: "t").get() }
        let file = try ListPayload.file("version: 3\nentries:\n  - A\n  - { id_tag: B, status: Blocked }\n", path: "tags.yaml").get()
        #expect(file.kind == .full && file.version == 3 && file.changes.count == 2)
        #expect(try ListPayload.file(#"["A", "B"]"#, path: "tags.json").get().changes.map(\.idTag) == ["A", "B"])
        #expect(ListPayload.summary(LocalList(version: 2, entries: [ListEntry(idTag: "A")])) == #"{"count":1,"version":2}"#)
    }
}
