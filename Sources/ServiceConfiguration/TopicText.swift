import RegisterMaps

/// MQTT topic text in configuration files and the topic contract.
public enum TopicText {
    /// Topic levels without wildcards, empty levels or a leading/trailing slash.
    public static func levels(_ node: YAMLNode, allowID: Bool = false) throws(DataFileError) -> String {
        let text = try node.string()
        let levels = text.split(separator: "/", omittingEmptySubsequences: false)
        guard !text.isEmpty, !levels.contains(where: \.isEmpty), !text.contains("+"), !text.contains("#"),
              allowID || !text.contains("{"), !text.contains(" ") else {
            throw node.error("a topic of non-empty levels without wildcards or spaces, got \"\(text)\"")
        }
        return text
    }
}
