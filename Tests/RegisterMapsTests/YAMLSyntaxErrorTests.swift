@testable import RegisterMaps
import Testing

@Suite("YAML syntax errors")
struct YAMLSyntaxErrorTests {
    func error(_ text: String) -> String? {
        do { _ = try YAMLNode.parse(text, file: "site.yaml"); return nil } catch { return error.description }
    }

    @Test func aMisindentedKeyNamesLineColumnAndTheLikelyCause() {
        #expect(error("site:\n  fuse_a: 25\n   headroom_a: 1\n")
            == "site.yaml:3:14: YAML: mapping values are not allowed in this context — check the indentation (spaces, not tabs) of this line and the one above")
    }

    @Test func aTabIndentIsCaughtWithTheSameHint() {
        #expect(error("site:\n\tfuse_a: 25\n")
            == "site.yaml:2:1: YAML: found character that cannot start any token — check the indentation (spaces, not tabs) of this line and the one above")
    }
}
