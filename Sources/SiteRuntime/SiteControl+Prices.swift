import ControlCore
import EnergyControl
import Synchronization

extension SiteControl {
    /// A new price series (MQTT or the prices file): every charging plan is made again at the next step.
    package func setPrices(_ series: PriceSeries?) {
        core.withLock { $0.setPrices(series) }
    }
}
