import Authorization
import Foundation
import OCPP
import Testing

@Suite("OCPP local list sync")
struct LocalListSyncTests {
    let rules = ChargerAuthorization(mode: .localList, format: UIDFormat(letterCase: .upper, byteOrder: .reversed))

    func features(_ value: String) -> JSONValue {
        ["configurationKey": [["key": "SupportedFeatureProfiles", "readonly": true, "value": .string(value)]]]
    }

    @Test func afterBootFullThenDifferentialThenNothing() throws {
        var sync = LocalListSync()
        var list = LocalList(version: 4, entries: [ListEntry(idTag: "0a0e9b83"), ListEntry(idTag: "01020304", status: .blocked)])
        sync.booted()
        #expect(sync.next(list: list, rules: rules)?.action == "GetConfiguration")
        #expect(sync.next(list: list, rules: rules) == nil, "one question at a time")
        let ask = try #require(sync.answered(key: "list.features", .success(features("Core,LocalAuthListManagement")), list: list, rules: rules).call)
        #expect(ask.action == "GetLocalListVersion")
        let full = try #require(sync.answered(key: "list.version", .success(["listVersion": 0]), list: list, rules: rules).call)
        #expect(full.action == "SendLocalList" && full.payload["updateType"] == "Full" && full.payload["listVersion"] == 4)
        #expect(full.payload["localAuthorizationList"]?.array?.compactMap { $0["idTag"]?.string } == ["04030201", "839B0E0A"])
        _ = sync.answered(key: "list.send", .success(["status": "Accepted"]), list: list, rules: rules)
        #expect(sync.chargerVersion == 4 && sync.next(list: list, rules: rules) == nil)
        // the list changes: its version is asked, then only the difference goes
        try list.apply(ListUpdate(kind: .differential, changes: [.remove("01020304")]))
        #expect(sync.next(list: list, rules: rules)?.action == "GetLocalListVersion")
        let differential = try #require(sync.answered(key: "list.version", .success(["listVersion": 4]), list: list, rules: rules).call)
        #expect(differential.payload["updateType"] == "Differential" && differential.payload["listVersion"] == 5)
        #expect(differential.payload["localAuthorizationList"] == [["idTag": "04030201"]])
        // a charger that lost its list (version 0) gets it whole again
        _ = sync.answered(key: "list.send", .success(["status": "Failed"]), list: list, rules: rules)
        #expect(sync.next(list: list, rules: rules) == nil, "a refused version is not sent again")
    }

    @Test func nothingForChargersWithoutTheProfileOrWithoutAList() {
        var sync = LocalListSync()
        let list = LocalList(version: 2, entries: [ListEntry(idTag: "A")])
        sync.booted()
        #expect(sync.next(list: list, rules: ChargerAuthorization(mode: .acceptAll)) == nil)
        _ = sync.next(list: list, rules: rules)
        let answer = sync.answered(key: "list.features", .success(features("Core,SmartCharging")), list: list, rules: rules)
        #expect(answer.call == nil && answer.note?.contains("no LocalAuthListManagement") == true)
        #expect(sync.next(list: list, rules: rules) == nil)
    }

    /// A charge point that fails to say its version, or keeps answering VersionMismatch, is not
    /// asked at every answer: the sync rests until the next connection.
    @Test func failuresDoNotLoop() throws {
        var sync = LocalListSync()
        let list = LocalList(version: 3, entries: [ListEntry(idTag: "A")])
        sync.booted()
        _ = sync.next(list: list, rules: rules)
        _ = sync.answered(key: "list.features", .success(features("LocalAuthListManagement")), list: list, rules: rules)
        _ = sync.answered(key: "list.version", .failure(OCPPFailure(.internalError, "no")), list: list, rules: rules)
        #expect(sync.next(list: list, rules: rules) == nil)
        sync.booted()
        _ = sync.next(list: list, rules: rules)
        _ = sync.answered(key: "list.features", .success(features("LocalAuthListManagement")), list: list, rules: rules)
        var calls = 0
        var call = sync.answered(key: "list.version", .success(["listVersion": 1]), list: list, rules: rules).call
        while let next = call, calls < 10 {
            calls += 1
            call = next.action == "SendLocalList" ? sync.answered(key: "list.send", .success(["status": "VersionMismatch"]), list: list, rules: rules).call
                : sync.answered(key: "list.version", .success(["listVersion": 1]), list: list, rules: rules).call
        }
        #expect(calls < 10 && sync.next(list: list, rules: rules) == nil, "\(calls) calls")
        // a new connection tries again
        sync.booted()
        #expect(sync.next(list: list, rules: rules)?.action == "GetConfiguration")
    }
}
