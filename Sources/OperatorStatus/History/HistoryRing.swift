/// A ring of at most `capacity` elements: appending to a full ring drops the oldest. Its memory is
/// fixed by the capacity however long the service runs.
public struct HistoryRing<Element: Sendable>: Sendable {
    public let capacity: Int
    private var storage: [Element] = []
    /// Where the next element goes once the ring is full (then also the oldest element).
    private var next = 0

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring holds at least one element")
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }

    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[next] = element
            next = (next + 1) % capacity
        }
    }

    public mutating func removeAll() {
        storage.removeAll(keepingCapacity: true)
        next = 0
    }

    /// The newest element.
    public var last: Element? {
        storage.isEmpty ? nil : storage[(next + storage.count - 1) % storage.count]
    }

    /// Oldest first.
    public var elements: [Element] {
        storage.count < capacity ? storage : Array(storage[next...] + storage[..<next])
    }
}
