/// A charger's CPO backend (the uplink) caps it like any other loop: one more cap, never a request,
/// never above a local limit.
extension ControlCore {
    /// Sets charger `index`'s backend cap (nil lifts it); true when it went down, so the caller
    /// steps at once: a decrease is never held back until the next step.
    @discardableResult
    public mutating func setBackendLimit(_ index: Int, _ amperes: Int?) -> Bool {
        guard backendLimits.indices.contains(index) else { return false }
        let before = backendLimits[index]
        backendLimits[index] = amperes.map { max(0, $0) }
        return (amperes ?? .max) < (before ?? .max)
    }

    public func backendLimit(_ index: Int) -> Int? { backendLimits.indices.contains(index) ? backendLimits[index] : nil }
}
