import Logging
import Modbus
import RegisterMaps
import SunSpec

/// Something a bus polls once per period: a register map, or a SunSpec device.
protocol MeterPolling {
    func poll() -> PollOutcome
}

extension DevicePoller: MeterPolling {}

/// Polls a SunSpec device: finds its model chain first (again after a read the device refuses: it
/// may have been replaced or reconfigured), then reads the blocks of the models the entry wants and
/// decodes them. Runs on its bus's thread (or the `read` command's).
package final class SunSpecPoller: MeterPolling {
    let selection: SunSpecSelection
    let quantities: [Quantity]
    let client: ModbusClient
    let label: String
    let logger: Logger
    /// The chain found on the device (nil: not yet, or to be found again).
    package private(set) var chain: SunSpecChain?
    /// The common model's "manufacturer model (SN serial)", once the chain is found.
    package private(set) var identity: String?
    /// The last discovery problem said (said again only when it changes).
    private var said: String?
    // this poll's requests, for its outcome
    private var requests = 0, answered = 0
    private var failures: [ModbusError] = []

    package init(selection: SunSpecSelection, quantities: [Quantity], client: ModbusClient, label: String, logger: Logger, chain: SunSpecChain? = nil) {
        self.selection = selection
        self.quantities = quantities
        self.client = client
        self.label = label
        self.logger = logger
        self.chain = chain
    }

    /// Holding registers; nil when the device refuses them (nothing there). A link failure is thrown.
    private func read(_ address: Int, _ count: Int) throws(ModbusError) -> [UInt16]? {
        requests += 1
        do {
            let words = try client.read(.holding, address: address, count: count)
            answered += 1
            return words
        } catch {
            failures.append(error)
            if case .exception = error {
                answered += 1
                return nil
            }
            throw error
        }
    }

    /// Finds the model chain (and the device's name); the problem when there is none.
    package func discover() throws(ModbusError) -> SunSpecDiscoveryError? {
        switch try SunSpecDiscovery.discover(read) {
        case .failure(let problem):
            return problem
        case .success(let found):
            chain = found
            if let common = found.models.first(where: { $0.id == 1 }), let model = selection.models[1],
               let words = try SunSpecDiscovery.readBlock(common, read) {
                identity = SunSpecValues.identity([SunSpecBlock(model: model, words: words)])
            }
            let ids = found.models.map { String($0.id) }.joined(separator: ", ")
            logger.notice("\(label): SunSpec device at base \(found.base)\(identity.map { ": \($0)" } ?? ""), models \(ids)\(found.complete ? "" : " (the chain ends without its end marker)")")
            return nil
        }
    }

    package func poll() -> PollOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        requests = 0
        answered = 0
        failures = []
        func outcome(_ readings: [Reading]) -> PollOutcome {
            PollOutcome(readings: readings, requests: requests, duration: clock.now - start,
                        silence: requests > 0 && answered == 0 ? failures.last : nil, failures: failures)
        }
        func failed(_ reason: String) -> PollOutcome {
            outcome(SunSpecValues.readings([:], quantities: quantities, failure: .readFailed(reason)))
        }
        do throws(ModbusError) {
            if chain == nil, let problem = try discover() {
                say(problem.description)
                return failed(problem.description)
            }
            guard let chain else { return failed("no SunSpec chain") }
            let wanted = selection.wanted(chain)
            guard !wanted.isEmpty else {
                let problem = "no \(selection.model.map { "model \($0)" } ?? "\(selection.family.rawValue) model") in the SunSpec chain (models \(chain.models.map { String($0.id) }.joined(separator: ", ")))"
                say(problem)
                self.chain = nil      // looked for again at the next poll
                return failed(problem)
            }
            var blocks: [SunSpecBlock] = []
            for entry in wanted {
                guard let model = selection.models[entry.id] else { continue }
                guard let words = try SunSpecDiscovery.readBlock(entry, read), Int(words[0]) == entry.id else {
                    self.chain = nil      // the chain moved: found again at the next poll
                    return failed("SunSpec model \(entry.id) at \(entry.address) no longer answers as it did")
                }
                blocks.append(SunSpecBlock(model: model, words: words))
            }
            said = nil
            return outcome(SunSpecValues.readings(SunSpecValues.values(selection.family, blocks: blocks), quantities: quantities))
        } catch {
            return failed(error.description)
        }
    }

    private func say(_ problem: String) {
        guard problem != said else { return }
        said = problem
        logger.warning("\(label): \(problem)")
    }
}
