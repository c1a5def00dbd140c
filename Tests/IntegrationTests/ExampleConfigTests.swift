import Foundation
import Testing

/// Every configuration the README and the package offer as a starting point passes `check-config`
/// as shipped: the worked set-ups in etc/examples/, the annotated example and the demo.
/// `--while-running`: a port that happens to be taken on the test machine is only a warning.
@Suite("Example configurations")
struct ExampleConfigTests {
    @Test(arguments: ["examples/home", "examples/building", "examples/ocpp-car-park", "chargebridge", "demo"])
    func checkConfigAccepts(_ name: String) throws {
        let file = TestEnvironment.root.appendingPathComponent("etc/\(name).yaml").path
        let result = try runCommand(try TestEnvironment.chargebridge, ["check-config", "--config", file, "--while-running"])
        #expect(result.status == 0, "check-config etc/\(name).yaml: \(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains(": OK"), "check-config etc/\(name).yaml: \(result.stdout)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }

    /// The worked set-ups are shipped in the Debian package beside the annotated example.
    @Test func packageShipsTheExamples() throws {
        let script = try String(contentsOf: TestEnvironment.root.appendingPathComponent("scripts/package.sh"), encoding: .utf8)
        #expect(script.contains("etc/examples/*.yaml"))
    }
}
