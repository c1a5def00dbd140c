import RegisterMaps

/// Dynamic prices (`prices:`): where the series comes from, its slot length and currency.
public struct PriceSettings: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A topic on the site's broker (a full topic, not under the prefix); retained or not.
        case mqtt(String)
        /// A JSON file, read at start and again whenever it changes.
        case file(String)
    }

    public var source: Source
    public var slotMinutes = 60
    public var currency = "EUR"

    public init(source: Source, slotMinutes: Int = 60, currency: String = "EUR") {
        self.source = source
        self.slotMinutes = slotMinutes
        self.currency = currency
    }

    static func parse(_ node: YAMLNode) throws(DataFileError) -> PriceSettings {
        var fields = try node.fields()
        let mqtt = fields.optional("mqtt"), file = fields.optional("file")
        var settings: PriceSettings
        switch (mqtt, file) {
        case (let topic?, nil): settings = PriceSettings(source: .mqtt(try TopicText.levels(topic)))
        case (nil, let path?): settings = PriceSettings(source: .file(try path.string()))
        case (_?, let path?): throw path.error("prices come from one source: mqtt: TOPIC or file: PATH, not both")
        case (nil, nil): throw node.error("prices need a source: mqtt: TOPIC or file: PATH")
        }
        if let minutes = fields.optional("slot_minutes") {
            settings.slotMinutes = try minutes.integer()
            guard [15, 60].contains(settings.slotMinutes) else { throw minutes.error("slot_minutes must be 15 or 60") }
        }
        if let currency = fields.optional("currency") {
            settings.currency = try currency.string()
            guard (1...8).contains(settings.currency.count), settings.currency.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                throw currency.error("a currency code of letters and digits, e.g. EUR, got \"\(settings.currency)\"")
            }
        }
        try fields.finish()
        return settings
    }
}
