@testable import ChargerDrivers
import ControlCore
import FaceLayouts
import Foundation
import Logging
import ServiceConfiguration
import ServiceSupport
@testable import SiteRuntime
import Storage

/// The real control of a configured site over simulated chargers, for tests that drive its steps
/// by hand: no listener, no bus, time as a parameter.
struct SimulatedSite {
    let control: SiteControl
    let chargers: [ChargerPoint]

    init(_ yaml: String, store: RuntimeStore? = nil, wallClock: (@Sendable () -> Double)? = nil) throws {
        let configuration = try Configuration.parse(yaml, file: "site.yaml")
        let layout = try FaceLayout.load(file: TestPaths.root.appendingPathComponent("Mappings/modbus/evc08.yaml").path)
        let logger = Logger(label: "test")
        let clock = MonotonicSeconds()
        chargers = configuration.chargers.map { ChargerPoint(config: $0, layouts: [layout], clock: clock, logger: logger) }
        let drivers = configuration.chargers.map { SimulatedChargerDriver(limits: $0.limits, evs: $0.simulatedEVs, start: 0) }
        let restored = try store?.load() ?? RuntimeSettings()
        control = try SiteControl(configuration: configuration, chargers: chargers, drivers: drivers, logger: logger, now: 0,
                                  store: store, restored: restored, wallClock: wallClock ?? { Date().timeIntervalSince1970 })
    }
}
