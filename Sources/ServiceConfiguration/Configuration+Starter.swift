extension Configuration {
    /// A file with nothing but comments and blank lines: the starter a package installs. `run`
    /// and `check-config` then say what to do and exit cleanly instead of failing, so a freshly
    /// installed service neither drives devices that do not exist nor restarts in a loop.
    public static func isUnconfigured(_ text: String) -> Bool {
        text.split(whereSeparator: \.isNewline).allSatisfy { line in
            let content = line.drop { $0 == " " || $0 == "\t" }
            return content.isEmpty || content.hasPrefix("#") || content == "---"
        }
    }

    public static func unconfiguredAdvice(_ file: String) -> String {
        "\(file) is not configured yet: describe the site's chargers and meters there (examples in /usr/share/doc/chargebridge/examples/), "
            + "check it with `chargebridge check-config --config \(file)`, then start the service again (systemctl restart chargebridge)"
    }
}
