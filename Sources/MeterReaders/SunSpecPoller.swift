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
/// decodes them. Runs on its bus's thread.
final class SunSpecPoller: MeterPolling {
    let selection: SunSpecSelection
    let quantities: [Quantity]
    let client: ModbusClient
    let label: String
    let logger: Logger
    private var chain: SunSpecChain?
    /// The last discovery problem said (said again only when it changes).
    private var said: String?

    init(selection: SunSpecSelection, quantities: [Quantity], client: ModbusClient, label: String, logger: Logger) {
        self.selection = selection
        self.quantities = quantities
        self.client = client
        self.label = label
        self.logger = logger
    }

    func poll() -> PollOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        var requests = 0, answered = 0
        var failures: [ModbusError] = []
        // nil: refused (nothing there); a link failure is thrown and ends the poll
        func read(_ address: Int, _ count: Int) throws(ModbusError) -> [UInt16]? {
            requests += 1
            do {
                let words = try client.read(.holding, address: address, count: count)
                answered += 1
                return words
            } catch {
                failures.append(error)
                if case .exception = error { answered += 1; return nil }
                throw error
            }
        }
        func outcome(_ readings: [Reading]) -> PollOutcome {
            PollOutcome(readings: readings, requests: requests, duration: clock.now - start,
                        silence: requests > 0 && answered == 0 ? failures.last : nil, failures: failures)
        }
        func failed(_ reason: String) -> PollOutcome {
            outcome(SunSpecValues.readings([:], quantities: quantities, failure: .readFailed(reason)))
        }
        do throws(ModbusError) {
            if chain == nil {
                switch try SunSpecDiscovery.discover(read) {
                case .failure(let problem):
                    say(problem.description)
                    return failed(problem.description)
                case .success(let found):
                    chain = found
                    describe(found, read)
                }
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

    /// One line when the chain is found: where, which models, and the device's name.
    private func describe(_ chain: SunSpecChain, _ read: (Int, Int) throws(ModbusError) -> [UInt16]?) {
        var name = ""
        if let common = chain.models.first(where: { $0.id == 1 }), let model = selection.models[1],
           let words = try? SunSpecDiscovery.readBlock(common, read) {
            name = SunSpecValues.identity([SunSpecBlock(model: model, words: words)]).map { ": \($0)" } ?? ""
        }
        let ids = chain.models.map { String($0.id) }.joined(separator: ", ")
        logger.notice("\(label): SunSpec device at base \(chain.base)\(name), models \(ids)\(chain.complete ? "" : " (the chain ends without its end marker)")")
    }
}
