import Foundation
import Testing

/// The Debian package: installed, upgraded and removed with the real dpkg on this machine (as
/// root, when no chargebridge package is installed already; systemd need not run).
@Suite("Debian package", .serialized)
struct PackageTests {
    static var installable: Bool {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/dpkg") else { return false }
        return (try? runCommand("/usr/bin/dpkg", ["-s", "chargebridge"]).status) != 0
    }

    static func sh(_ command: String) throws -> CommandResult {
        try runCommand("/bin/sh", ["-c", command], timeout: .seconds(120))
    }

    @Test(.enabled(if: installable, "needs root, dpkg and no chargebridge package installed"))
    func installUpgradeAndRemove() throws {
        let folder = try TestEnvironment.temporaryFolder()
        let script = TestEnvironment.root.appendingPathComponent("scripts/package.sh").path
        var packages: [String] = []
        for version in ["0.15.0~test1", "0.15.0~test2"] {
            let built = try Self.sh("\(script) --binary \(try TestEnvironment.chargebridge) --version \(version) --output \(folder.path) --fast")
            #expect(built.status == 0, "\(built.stderr)")
            packages.append(built.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        defer { _ = try? Self.sh("dpkg -P chargebridge") }

        // install
        let install = try Self.sh("dpkg -i \(packages[0])")
        #expect(install.status == 0, "\(install.stdout) \(install.stderr)")
        for file in ["/usr/bin/chargebridge", "/etc/chargebridge/chargebridge.yaml", "/lib/systemd/system/chargebridge.service",
                     "/usr/share/chargebridge/Registers/chargers/keba-p30.yaml", "/usr/share/chargebridge/Mappings/modbus/evc08.yaml"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) missing")
        }
        #expect(try String(contentsOfFile: "/lib/systemd/system/chargebridge.service", encoding: .utf8).contains("ExecStart=/usr/bin/chargebridge run"))
        #expect(try Self.sh("getent passwd chargebridge").status == 0, "the system user")
        #expect(try Self.sh("id -nG chargebridge").stdout.contains("dialout"))
        #expect(try Self.sh("/usr/bin/chargebridge --version").stdout.hasPrefix("chargebridge "))
        // as installed: the starter waits for a configuration and says what to do; the example passes;
        // the demo finds its files; the manual, completions, copyright and changelog are there
        let check = try Self.sh("cd / && /usr/bin/chargebridge check-config --config /etc/chargebridge/chargebridge.yaml")
        #expect(check.status == 0 && check.stderr.contains("is not configured yet"), "\(check.stdout) \(check.stderr)")
        let idle = try Self.sh("cd / && /usr/bin/chargebridge run --config /etc/chargebridge/chargebridge.yaml")
        #expect(idle.status == 0 && idle.stderr.contains("examples in /usr/share/doc/chargebridge/examples/"), "\(idle.stderr)")
        let examples = try FileManager.default.contentsOfDirectory(atPath: "/usr/share/doc/chargebridge/examples").filter { $0.hasSuffix(".yaml") }
        #expect(Set(examples).isSuperset(of: ["chargebridge.yaml", "home.yaml", "building.yaml", "ocpp-car-park.yaml"]), "\(examples)")
        for name in examples {
            let example = try Self.sh("cd / && /usr/bin/chargebridge check-config --config /usr/share/doc/chargebridge/examples/\(name) --while-running")
            #expect(example.status == 0, "\(name): \(example.stdout) \(example.stderr)")
        }
        let demo = try Self.sh("cd / && timeout 60 /usr/bin/chargebridge demo --duration 5")
        #expect(demo.status == 0 && demo.stdout.contains("chargebridge demo"), "\(demo.stdout) \(demo.stderr)")
        for file in ["/usr/share/man/man1/chargebridge.1.gz", "/usr/share/bash-completion/completions/chargebridge",
                     "/usr/share/zsh/vendor-completions/_chargebridge", "/usr/share/fish/vendor_completions.d/chargebridge.fish",
                     "/usr/share/doc/chargebridge/copyright", "/usr/share/doc/chargebridge/changelog.gz",
                     "/usr/share/doc/chargebridge/docs/CONFIGURATION.md", "/usr/share/doc/chargebridge/docs/status-page.png",
                     "/usr/share/chargebridge/etc/demo.yaml", "/usr/share/chargebridge/etc/scenarios/sunny-day.yaml"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) missing")
        }
        #expect(try Self.sh("zcat /usr/share/man/man1/chargebridge.1.gz").stdout.contains(".SS check-config"))
        if FileManager.default.isExecutableFile(atPath: "/usr/sbin/getcap") {
            #expect(try Self.sh("/usr/sbin/getcap /usr/bin/chargebridge").stdout.contains("cap_net_bind_service"))
        }

        // upgrade: an installer's edit of the configuration survives
        _ = try Self.sh("echo '# edited by the installer' >> /etc/chargebridge/chargebridge.yaml")
        let upgrade = try Self.sh("dpkg --force-confold -i \(packages[1])")
        #expect(upgrade.status == 0, "\(upgrade.stdout) \(upgrade.stderr)")
        #expect(try Self.sh("dpkg-query -W -f='${Version}' chargebridge").stdout == "0.15.0~test2")
        #expect(try String(contentsOfFile: "/etc/chargebridge/chargebridge.yaml", encoding: .utf8).contains("# edited by the installer"))

        // remove keeps the configuration; purge removes it and the user
        #expect(try Self.sh("dpkg -r chargebridge").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/usr/bin/chargebridge"))
        #expect(FileManager.default.fileExists(atPath: "/etc/chargebridge/chargebridge.yaml"))
        #expect(try Self.sh("dpkg -P chargebridge").status == 0)
        #expect(!FileManager.default.fileExists(atPath: "/etc/chargebridge/chargebridge.yaml"))
        #expect(try Self.sh("getent passwd chargebridge").status != 0)
    }
}
