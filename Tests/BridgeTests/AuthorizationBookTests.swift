import Authorization
import Foundation
import ServiceSupport
import Testing

@Suite("Authorization book")
struct AuthorizationBookTests {
    /// With a list file, the file is the record: a change from elsewhere (MQTT) is refused, not
    /// acknowledged and undone at the file's next change.
    @Test func withAListFileOnlyTheFileChangesTheList() throws {
        let book = AuthorizationBook(list: LocalList(), rules: [:], file: "/etc/chargebridge/tags.yaml")
        let update = ListUpdate(kind: .full, changes: [.set(ListEntry(idTag: "A"))])
        #expect(throws: AuthorizationBook.Refusal.self) { try book.apply(update) }
        #expect(book.list.count == 0)
        try book.apply(update, save: false)
        #expect(book.list.count == 1)
    }
}
