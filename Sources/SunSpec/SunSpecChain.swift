/// Where a device's SunSpec models sit: found from the "SunS" marker at one of the well-known
/// base addresses, then by walking the chain of (ID, L) headers to the end marker 0xFFFF.
public struct SunSpecChain: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let id: Int
        /// The model's ID register.
        public let address: Int
        /// L: registers after ID and L.
        public let length: Int

        public init(id: Int, address: Int, length: Int) {
            self.id = id
            self.address = address
            self.length = length
        }
    }

    /// Where "SunS" was found.
    public let base: Int
    public let models: [Entry]
    /// False when the chain stopped before its end marker (a header that could not be read, or
    /// one pointing past the address space): the models before it are kept.
    public let complete: Bool

    /// The marker's two registers: "Su" "nS".
    public static let marker: [UInt16] = [0x5375, 0x6E53]
    /// The base addresses SunSpec allows, in the order they are tried (the most common first, as pysunspec2 does).
    public static let bases = [40000, 0, 50000]
    /// At most this many models are walked: a device whose chain never ends cannot hold a poll forever.
    public static let maxModels = 64

    public func first(of ids: [Int]) -> Entry? {
        for id in ids { if let entry = models.first(where: { $0.id == id }) { return entry } }
        return nil
    }
}

public enum SunSpecDiscoveryError: Error, Equatable, CustomStringConvertible {
    /// No "SunS" at any base address.
    case noMarker
    /// The marker is there but no model header follows.
    case emptyChain(base: Int)

    public var description: String {
        switch self {
        case .noMarker: "no SunSpec marker \"SunS\" at \(SunSpecChain.bases.map(String.init).joined(separator: ", ")): not a SunSpec device, or the wrong unit id"
        case .emptyChain(let base): "SunSpec marker at \(base) but no model after it"
        }
    }
}

public enum SunSpecDiscovery {
    /// Finds the model chain. `read(address, count)` returns the holding registers, nil when the
    /// device refuses them (an exception: nothing there), or throws when the link fails (which
    /// ends the discovery with that error).
    public static func discover<E: Error>(_ read: (Int, Int) throws(E) -> [UInt16]?) throws(E) -> Result<SunSpecChain, SunSpecDiscoveryError> {
        for base in SunSpecChain.bases {
            guard let marker = try read(base, 2), marker == SunSpecChain.marker else { continue }
            var models: [SunSpecChain.Entry] = []
            var address = base + 2
            var complete = false
            while models.count < SunSpecChain.maxModels, address + 2 <= 65536 {
                guard let header = try read(address, 2), header.count == 2 else { break }
                if header[0] == 0xFFFF {
                    complete = true
                    break
                }
                let length = Int(header[1])
                guard address + 2 + length <= 65536 else { break }
                models.append(SunSpecChain.Entry(id: Int(header[0]), address: address, length: length))
                address += 2 + length
            }
            guard !models.isEmpty else { return .failure(.emptyChain(base: base)) }
            return .success(SunSpecChain(base: base, models: models, complete: complete))
        }
        return .failure(.noMarker)
    }

    /// Reads a model's block (ID, L and its registers) in requests of at most 125 registers.
    public static func readBlock<E: Error>(_ entry: SunSpecChain.Entry, _ read: (Int, Int) throws(E) -> [UInt16]?) throws(E) -> [UInt16]? {
        var words: [UInt16] = []
        let total = entry.length + 2
        while words.count < total {
            let count = min(125, total - words.count)
            guard let chunk = try read(entry.address + words.count, count), chunk.count == count else { return nil }
            words += chunk
        }
        return words
    }
}
