/// An energy request as SEMP sends it: one `Timeframe` of a `PlanningRequest`. Times are seconds
/// from now (the gateway announces `AbsoluteTimestamps` false).
public struct SEMPTimeframe: Sendable, Equatable {
    public var deviceID: String
    public var earliestStartS: Int
    public var latestEndS: Int
    public var minEnergyWh: Int
    public var maxEnergyWh: Int
    /// Power bounds for this request (as SMA's own EV Charger sends them), W.
    public var minPowerW: Int?
    public var maxPowerW: Int?

    public init(deviceID: String, earliestStartS: Int, latestEndS: Int, minEnergyWh: Int, maxEnergyWh: Int,
                minPowerW: Int? = nil, maxPowerW: Int? = nil) {
        self.deviceID = deviceID
        self.earliestStartS = earliestStartS
        self.latestEndS = latestEndS
        self.minEnergyWh = minEnergyWh
        self.maxEnergyWh = maxEnergyWh
        self.minPowerW = minPowerW
        self.maxPowerW = maxPowerW
    }
}

/// A `Device2EM` message read back (tests, peers, diagnosis): what an energy manager learns.
public struct SEMPReport: Sendable, Equatable {
    public struct Info: Sendable, Equatable {
        public var id: String, name: String, type: String, serial: String, vendor: String
        public var minPowerW: Int?, maxPowerW: Int

        public init(id: String, name: String, type: String, serial: String, vendor: String, minPowerW: Int?, maxPowerW: Int) {
            self.id = id
            self.name = name
            self.type = type
            self.serial = serial
            self.vendor = vendor
            self.minPowerW = minPowerW
            self.maxPowerW = maxPowerW
        }
    }

    public struct Status: Sendable, Equatable {
        public var id: String
        public var emSignalsAccepted: Bool
        /// `On`, `Off` (or `Offline`, as some gateways send).
        public var status: String
        public var powerW: Int

        public init(id: String, emSignalsAccepted: Bool, status: String, powerW: Int) {
            self.id = id
            self.emSignalsAccepted = emSignalsAccepted
            self.status = status
            self.powerW = powerW
        }
    }

    public var infos: [Info]
    public var statuses: [Status]
    public var timeframes: [SEMPTimeframe]

    public init(infos: [Info], statuses: [Status], timeframes: [SEMPTimeframe]) {
        self.infos = infos
        self.statuses = statuses
        self.timeframes = timeframes
    }
}

/// SEMP messages as text: the gateway's `Device2EM`, the energy manager's `EM2Device`, and the UPnP
/// device description that points the energy manager at them. Pure: values in, text out (and
/// back, with every refusal named).
public enum SEMPDocument {
    /// The namespace of `Device2EM` and `EM2Device`.
    public static let namespace = "http://www.sma.de/communication/schema/SEMP/v1"
    /// The UPnP device type a SEMP gateway announces and is searched by.
    public static let gatewayType = "urn:schemas-simple-energy-management-protocol:device:Gateway:1"
    /// The namespace of the `X_SEMPSERVICE` element in the device description.
    public static let serviceNamespace = "urn:schemas-simple-energy-management-protocol:service-1-0"
    public static let upnpDeviceNamespace = "urn:schemas-upnp-org:device-1-0"
    /// The SEMP web service version announced (as the Smart Appliance Enabler announces it).
    public static let wsVersion = "1.1.5"
    /// How far ahead a request without a departure reaches (evcc: 24 h in its PV modes).
    public static let defaultHorizonS = 86_400
    /// The energy announced for a plugged vehicle whose need is unknown: what the charger can
    /// deliver within the request's window, at most this (about the largest car battery).
    public static let unknownDemandCapWh = 100_000
    /// Power values above this (1 MW) are refused as absurd for a charger.
    public static let maxPowerW = 1_000_000
    /// `DeviceControl` elements accepted in one `EM2Device`.
    public static let maxControls = 64
    /// The averaging interval announced with the power (the Home Manager polls once a minute).
    public static let averagingIntervalS = 60

    // MARK: Device2EM

    /// The whole `Device2EM` document: every device's `DeviceInfo`, then every `DeviceStatus`, then a
    /// `PlanningRequest` for each device with a vehicle plugged and energy to take.
    public static func device2EM(_ devices: [SEMPDevice], now: Double, plannerHorizonS: Int = defaultHorizonS) -> String {
        var xml = XMLWriter()
        xml.declaration()
        xml.open("Device2EM", attributes: [("xmlns", namespace)])
        for device in devices {
            xml.open("DeviceInfo")
            xml.open("Identification")
            xml.leaf("DeviceId", device.id)
            xml.leaf("DeviceName", device.name)
            xml.leaf("DeviceType", "EVCharger")
            xml.leaf("DeviceSerial", device.serial)
            xml.leaf("DeviceVendor", device.vendor)
            xml.close("Identification")
            xml.open("Characteristics")
            xml.leaf("MaxPowerConsumption", String(watts(device.maxPowerW)))
            xml.leaf("MinPowerConsumption", String(min(watts(device.minPowerW), watts(device.maxPowerW))))
            if let minOn = device.minOnTimeS { xml.leaf("MinOnTime", String(max(0, minOn))) }
            if let minOff = device.minOffTimeS { xml.leaf("MinOffTime", String(max(0, minOff))) }
            xml.close("Characteristics")
            xml.open("Capabilities")
            xml.open("CurrentPower")
            xml.leaf("Method", "Measurement")
            xml.close("CurrentPower")
            xml.open("Timestamps")
            xml.leaf("AbsoluteTimestamps", "false")
            xml.close("Timestamps")
            xml.open("Interruptions")
            xml.leaf("InterruptionsAllowed", "true")
            xml.close("Interruptions")
            xml.open("Requests")
            xml.leaf("OptionalEnergy", "true")
            xml.close("Requests")
            xml.close("Capabilities")
            xml.close("DeviceInfo")
        }
        for device in devices {
            xml.open("DeviceStatus")
            xml.leaf("DeviceId", device.id)
            xml.leaf("EMSignalsAccepted", device.emSignalsAccepted ? "true" : "false")
            xml.leaf("Status", device.on ? "On" : "Off")
            xml.open("PowerConsumption")
            xml.open("PowerInfo")
            xml.leaf("AveragePower", String(watts(device.powerW)))
            xml.leaf("Timestamp", "0")
            xml.leaf("AveragingInterval", String(averagingIntervalS))
            xml.close("PowerInfo")
            xml.close("PowerConsumption")
            xml.close("DeviceStatus")
        }
        for device in devices {
            guard let frame = timeframe(for: device, now: now, plannerHorizonS: plannerHorizonS) else { continue }
            xml.open("PlanningRequest")
            xml.open("Timeframe")
            xml.leaf("DeviceId", frame.deviceID)
            xml.leaf("EarliestStart", String(frame.earliestStartS))
            xml.leaf("LatestEnd", String(frame.latestEndS))
            xml.leaf("MinEnergy", String(frame.minEnergyWh))
            xml.leaf("MaxEnergy", String(frame.maxEnergyWh))
            if let maxPower = frame.maxPowerW { xml.leaf("MaxPowerConsumption", String(maxPower)) }
            if let minPower = frame.minPowerW { xml.leaf("MinPowerConsumption", String(minPower)) }
            xml.close("Timeframe")
            xml.close("PlanningRequest")
        }
        xml.close("Device2EM")
        return xml.text
    }

    /// The energy request of a device, or nil: no vehicle plugged, or its vehicle takes no more.
    ///
    /// From now (EarliestStart 0) to the departure if one lies ahead, else to the planning horizon.
    /// MaxEnergy: the device's figure; unknown → what the charger can deliver in the window at its
    /// maximum power, at most ``unknownDemandCapWh``. MinEnergy: the device's figure (0 when unknown,
    /// so the request is optional: the Home Manager serves it from surplus only), never above
    /// MaxEnergy; once the departure has passed it is 0 again (nothing is owed any more).
    public static func timeframe(for device: SEMPDevice, now: Double, plannerHorizonS: Int = defaultHorizonS) -> SEMPTimeframe? {
        guard device.connected else { return nil }
        let horizon = max(60, plannerHorizonS)
        var window = horizon
        var deadlinePassed = false
        if let departure = device.departure, departure.isFinite, now.isFinite {
            let left = departure - now
            if left >= 60 {
                window = Int(min(left, 7 * 86_400))
            } else {
                deadlinePassed = true
            }
        }
        let maxPower = watts(device.maxPowerW)
        let deliverable = Int(min(Double(maxPower) * Double(window) / 3600, Double(Int32.max)))
        let maxEnergy = max(0, device.maxEnergyWh ?? min(deliverable, unknownDemandCapWh))
        guard maxEnergy > 0 else { return nil }
        let minEnergy = deadlinePassed ? 0 : min(max(0, device.minEnergyWh ?? 0), maxEnergy)
        return SEMPTimeframe(deviceID: device.id, earliestStartS: 0, latestEndS: window, minEnergyWh: minEnergy,
                             maxEnergyWh: maxEnergy, minPowerW: min(watts(device.minPowerW), maxPower), maxPowerW: maxPower)
    }

    /// Power for the document: not negative, not absurd.
    private static func watts(_ value: Int) -> Int { min(max(0, value), maxPowerW) }

    // MARK: EM2Device

    /// The energy manager's `EM2Device` (the SEMP POST body) as controls. Strict: the root must be
    /// `EM2Device` (in the SEMP namespace, or in none); each `DeviceControl` holds exactly a
    /// `DeviceId` and `On`, optionally one `RecommendedPowerConsumption` (W, 0 … 1 MW; a decimal
    /// is rounded) and one `Timestamp`; nothing else, at most ``maxControls`` of them, 64 KiB.
    public static func parseEM2Device(_ data: some Collection<UInt8>) throws(SEMPError) -> [SEMPControl] {
        guard data.count <= XMLLimits.semp.maxBytes else { throw .tooLarge(bytes: data.count, limit: XMLLimits.semp.maxBytes) }
        let root = try XMLTree.parse(Array(data))
        guard root.name == "EM2Device", root.namespace == namespace || root.namespace.isEmpty else {
            let foreign = root.namespace != namespace && !root.namespace.isEmpty
            throw .unexpectedRoot(found: foreign ? "{\(root.namespace)}\(root.name)" : root.name, expected: "EM2Device")
        }
        try elementsOnly(root)
        var controls: [SEMPControl] = []
        for child in root.children {
            guard child.name == "DeviceControl" else { throw .unknownElement(child.name, in: root.name) }
            controls.append(try control(child))
        }
        guard controls.count <= maxControls else { throw .tooManyControls(count: controls.count, limit: maxControls) }
        return controls
    }

    public static func parseEM2Device(_ text: String) throws(SEMPError) -> [SEMPControl] {
        try parseEM2Device(Array(text.utf8))
    }

    private static func control(_ node: XMLNode) throws(SEMPError) -> SEMPControl {
        try elementsOnly(node)
        try only(["DeviceId", "On", "RecommendedPowerConsumption", "Timestamp"], in: node)
        let id = try required("DeviceId", in: node).trimmed
        guard SEMPDevice.isValidID(id) else {
            throw .invalidValue(element: "DeviceId", value: id, reason: "not a SEMP DeviceId (X-XXXXXXXX-XXXXXXXXXXXX-XX, hex digits)")
        }
        let on = try boolean(required("On", in: node).trimmed, element: "On")
        var power: Int?
        if let text = try optional("RecommendedPowerConsumption", in: node) {
            power = try number(text.trimmed, element: "RecommendedPowerConsumption", limit: Double(maxPowerW), unit: "W")
        }
        if let text = try optional("Timestamp", in: node) {
            _ = try number(text.trimmed, element: "Timestamp", limit: 1e12, unit: "s", integral: true)
        }
        return SEMPControl(deviceID: id, on: on, recommendedPowerW: power)
    }

    /// An `EM2Device` document (what an energy manager posts).
    public static func em2Device(_ controls: [SEMPControl], timestamp: Int? = 0) -> String {
        var xml = XMLWriter()
        xml.declaration()
        xml.open("EM2Device", attributes: [("xmlns", namespace)])
        for control in controls {
            xml.open("DeviceControl")
            xml.leaf("DeviceId", control.deviceID)
            xml.leaf("On", control.on ? "true" : "false")
            if let power = control.recommendedPowerW { xml.leaf("RecommendedPowerConsumption", String(power)) }
            if let timestamp { xml.leaf("Timestamp", String(timestamp)) }
            xml.close("DeviceControl")
        }
        xml.close("EM2Device")
        return xml.text
    }

    // MARK: Reading Device2EM back

    /// Reads a `Device2EM` document (this gateway's or another's). Types are checked; elements this
    /// reader does not use are skipped, as an energy manager would.
    public static func parseDevice2EM(_ data: some Collection<UInt8>) throws(SEMPError) -> SEMPReport {
        let root = try XMLTree.parse(Array(data), limits: XMLLimits(maxBytes: 1 << 20, maxDepth: 8, maxElements: 65_536, maxTextBytes: 1024))
        guard root.name == "Device2EM", root.namespace == namespace || root.namespace.isEmpty else {
            throw .unexpectedRoot(found: root.name, expected: "Device2EM")
        }
        var report = SEMPReport(infos: [], statuses: [], timeframes: [])
        for info in root.all("DeviceInfo") {
            let identification = try single("Identification", in: info)
            let characteristics = try single("Characteristics", in: info)
            report.infos.append(SEMPReport.Info(
                id: try required("DeviceId", in: identification).trimmed,
                name: try optional("DeviceName", in: identification) ?? "",
                type: try optional("DeviceType", in: identification)?.trimmed ?? "",
                serial: try optional("DeviceSerial", in: identification) ?? "",
                vendor: try optional("DeviceVendor", in: identification) ?? "",
                minPowerW: try optionalWatts("MinPowerConsumption", in: characteristics),
                maxPowerW: try number(required("MaxPowerConsumption", in: characteristics).trimmed, element: "MaxPowerConsumption",
                                      limit: Double(maxPowerW), unit: "W")))
        }
        for status in root.all("DeviceStatus") {
            let power = try single("PowerConsumption", in: status)
            let info = try single("PowerInfo", in: power)
            report.statuses.append(SEMPReport.Status(
                id: try required("DeviceId", in: status).trimmed,
                emSignalsAccepted: try boolean(required("EMSignalsAccepted", in: status).trimmed, element: "EMSignalsAccepted"),
                status: try required("Status", in: status).trimmed,
                powerW: try number(required("AveragePower", in: info).trimmed, element: "AveragePower", limit: Double(maxPowerW), unit: "W")))
        }
        for request in root.all("PlanningRequest") {
            for frame in request.all("Timeframe") {
                func int(_ name: String) throws(SEMPError) -> Int {
                    try number(required(name, in: frame).trimmed, element: name, limit: 1e9, unit: "", integral: true)
                }
                report.timeframes.append(SEMPTimeframe(
                    deviceID: try required("DeviceId", in: frame).trimmed, earliestStartS: try int("EarliestStart"),
                    latestEndS: try int("LatestEnd"), minEnergyWh: try int("MinEnergy"), maxEnergyWh: try int("MaxEnergy"),
                    minPowerW: try optionalWatts("MinPowerConsumption", in: frame),
                    maxPowerW: try optionalWatts("MaxPowerConsumption", in: frame)))
            }
        }
        return report
    }

    public static func parseDevice2EM(_ text: String) throws(SEMPError) -> SEMPReport {
        try parseDevice2EM(Array(text.utf8))
    }

    // MARK: Device description

    /// The UPnP device description (`LOCATION` of the SSDP answers): a `Gateway:1` root device
    /// whose `semp:X_SEMPSERVICE` element tells the energy manager where the SEMP service is:
    /// `server` (scheme, host and port) and `basePath`, pulled over HTTP, exchanged as XML.
    public static func deviceDescription(uuid: String, serverURL: String, basePath: String, friendlyName: String,
                                         manufacturer: String = "chargebridge", modelName: String = "chargebridge SEMP gateway") -> String {
        var xml = XMLWriter()
        xml.declaration()
        xml.open("root", attributes: [("xmlns", upnpDeviceNamespace)])
        xml.open("specVersion")
        xml.leaf("major", "1")
        xml.leaf("minor", "0")
        xml.close("specVersion")
        xml.open("device")
        xml.leaf("deviceType", gatewayType)
        xml.leaf("friendlyName", friendlyName)
        xml.leaf("manufacturer", manufacturer)
        xml.leaf("modelName", modelName)
        xml.leaf("UDN", "uuid:" + uuid)
        xml.open("semp:X_SEMPSERVICE", attributes: [("xmlns:semp", serviceNamespace)])
        xml.leaf("semp:server", serverURL)
        xml.leaf("semp:basePath", basePath)
        xml.leaf("semp:transport", "HTTP/Pull")
        xml.leaf("semp:exchangeFormat", "XML")
        xml.leaf("semp:wsVersion", wsVersion)
        xml.close("semp:X_SEMPSERVICE")
        xml.close("device")
        xml.close("root")
        return xml.text
    }

    /// What an energy manager takes from a device description: the SEMP server and base path.
    public static func parseDeviceDescription(_ data: some Collection<UInt8>) throws(SEMPError) -> (udn: String, server: String, basePath: String) {
        let root = try XMLTree.parse(Array(data))
        guard root.name == "root", root.namespace == upnpDeviceNamespace else {
            throw .unexpectedRoot(found: root.name, expected: "root")
        }
        let device = try single("device", in: root)
        let service = try single("X_SEMPSERVICE", in: device)
        guard service.namespace == serviceNamespace else {
            throw .invalidValue(element: "X_SEMPSERVICE", value: service.namespace, reason: "not in the SEMP service namespace")
        }
        return (try required("UDN", in: device).trimmed, try required("server", in: service).trimmed,
                try required("basePath", in: service).trimmed)
    }

    // MARK: Validation helpers

    private static func elementsOnly(_ node: XMLNode) throws(SEMPError) {
        guard node.text.allSatisfy(\.isWhitespace) else { throw .unexpectedText(in: node.name) }
    }

    private static func only(_ names: Set<String>, in node: XMLNode) throws(SEMPError) {
        var seen = Set<String>()
        for child in node.children {
            guard names.contains(child.name) else { throw .unknownElement(child.name, in: node.name) }
            guard seen.insert(child.name).inserted else { throw .duplicateElement(child.name, in: node.name) }
        }
    }

    private static func single(_ name: String, in node: XMLNode) throws(SEMPError) -> XMLNode {
        let found = node.all(name)
        guard let first = found.first else { throw .missingElement(name, in: node.name) }
        guard found.count == 1 else { throw .duplicateElement(name, in: node.name) }
        return first
    }

    /// The text of a leaf child that must be there.
    private static func required(_ name: String, in node: XMLNode) throws(SEMPError) -> String {
        guard let text = try optional(name, in: node) else { throw .missingElement(name, in: node.name) }
        return text
    }

    private static func optional(_ name: String, in node: XMLNode) throws(SEMPError) -> String? {
        let found = node.all(name)
        guard let leaf = found.first else { return nil }
        guard found.count == 1 else { throw .duplicateElement(name, in: node.name) }
        if let inner = leaf.children.first { throw .unknownElement(inner.name, in: name) }
        return leaf.text
    }

    private static func optionalWatts(_ name: String, in node: XMLNode) throws(SEMPError) -> Int? {
        guard let text = try optional(name, in: node) else { return nil }
        return try number(text.trimmed, element: name, limit: Double(maxPowerW), unit: "W")
    }

    /// xs:boolean.
    private static func boolean(_ text: String, element: String) throws(SEMPError) -> Bool {
        switch text {
        case "true", "1": return true
        case "false", "0": return false
        default: throw .invalidValue(element: element, value: text, reason: "not a boolean (true, false, 1 or 0)")
        }
    }

    /// A plain decimal number (digits, one optional point; no sign other than a leading `+`, no
    /// exponent, no inf/nan/hex), from 0 to the limit, rounded to an integer.
    private static func number(_ text: String, element: String, limit: Double, unit: String, integral: Bool = false) throws(SEMPError) -> Int {
        func plain(_ digits: Substring) -> Bool {
            !digits.isEmpty && digits.count <= 32 && digits.filter { $0 == "." }.count <= (integral ? 0 : 1)
                && digits.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") } && digits.contains(where: \.isNumber)
        }
        var digits = Substring(text)
        if digits.first == "+" { digits = digits.dropFirst() }
        if digits.first == "-", plain(digits.dropFirst()) {
            throw .invalidValue(element: element, value: text, reason: "negative")
        }
        guard plain(digits), let value = Double(digits), value.isFinite else {
            throw .invalidValue(element: element, value: text, reason: integral ? "not a whole number" : "not a number")
        }
        guard value <= limit else {
            throw .invalidValue(element: element, value: text, reason: "above \(Int(limit))\(unit.isEmpty ? "" : " " + unit), absurd")
        }
        return Int(value.rounded())
    }
}

extension String {
    /// Without leading and trailing white space (XML's and Unicode's).
    var trimmed: String {
        let scalars = unicodeScalars
        guard let start = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let end = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[start ... end]))
    }
}

/// Indented XML, escaped text.
struct XMLWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func declaration() {
        text += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    }

    mutating func open(_ name: String, attributes: [(String, String)] = []) {
        indent()
        text += "<" + name
        for (key, value) in attributes { text += " \(key)=\"\(xmlEscaped(value))\"" }
        text += ">\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        indent()
        text += "</\(name)>\n"
    }

    mutating func leaf(_ name: String, _ value: String) {
        indent()
        text += "<\(name)>\(xmlEscaped(value))</\(name)>\n"
    }

    private mutating func indent() {
        text += String(repeating: "  ", count: depth)
    }
}
