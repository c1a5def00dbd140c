import RegisterMaps

/// The values a Modbus server exposes: one contiguous table per function.
public struct RegisterImage: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public var start: Int
        public var values: [UInt16]
        public init(start: Int = 0, values: [UInt16] = []) {
            self.start = start
            self.values = values
        }
    }

    public var tables: [RegisterFunction: Table] = [:]

    public init() {}

    /// Stores `values` at `address`, growing the function's table as needed.
    public mutating func set(_ function: RegisterFunction, address: Int, values: [UInt16]) {
        guard !values.isEmpty else { return }
        var table = tables[function] ?? Table(start: address, values: [])
        if table.values.isEmpty { table.start = address }
        if address < table.start {
            table.values.insert(contentsOf: [UInt16](repeating: 0, count: table.start - address), at: 0)
            table.start = address
        }
        let end = address - table.start + values.count
        if end > table.values.count { table.values += [UInt16](repeating: 0, count: end - table.values.count) }
        table.values.replaceSubrange((address - table.start)..<end, with: values)
        tables[function] = table
    }

    public func get(_ function: RegisterFunction, address: Int, count: Int) -> [UInt16]? {
        guard let table = tables[function], address >= table.start, address - table.start + count <= table.values.count else { return nil }
        return Array(table.values[(address - table.start)..<(address - table.start + count)])
    }
}
